import type { Target } from '../domain/target.js';
import { observerEvents } from '../scheduler/observers.js';
import { type SchedulerObserver, START_BATCH, samePings, sameSpec, stableHash, type TargetDiff } from '../scheduler/scheduler.js';
import { Pace, type PaceTime, shareCores } from '../util/pace.js';
import { EVENT_SLOTS, type IcmpPacket } from './messages.js';
import { Shard } from './shard.js';

type Listener = (a: unknown, b: unknown, c: unknown, d: unknown) => void;

export interface ShardedOptions {
  readonly workers: number;
  /** ICMP capture runs in this thread: the workers' pings watch for the packets relayed to them. */
  readonly icmp: boolean;
  /** A worker died (a bug); it is started again on its targets. */
  readonly crashed?: (worker: number, error: unknown) => void;
}

/**
 * The scheduler's place, with the pings sent by worker threads: each target belongs to one
 * worker (by a stable hash of its name, so a reload never moves a target), whose own scheduler
 * runs its rounds. Their events come back in batches and go out on this thread's observer, to
 * metrics, status, log and tracer as a scheduler's would: the service stays one.
 */
export class ShardedScheduler {
  private readonly shards: Shard[];
  /** The specs of the targets as last applied, for the events that name a target added or changed. */
  private specs = new Map<string, Target>();
  /** Targets announced on the observer, with the spec they were announced with: a restarted worker announces its targets again. */
  private readonly announced = new Map<string, Target>();
  private readonly listeners: Partial<Record<keyof SchedulerObserver, Listener>>;
  private nextId = 1;
  private icmpPackets: IcmpPacket[] = [];
  /** Long work on this thread (a reload, the workers' reports of it) paces itself while the workers run. */
  private readonly unshareCores: () => void;
  /** Set by stop(): an apply under way tells the observer nothing more after its next pause. */
  private stopped = false;

  /** `paceTime`: the time of an apply's pauses (util/pace.ts), real unless a test gives its own. */
  constructor(
    options: ShardedOptions,
    private readonly observer: SchedulerObserver,
    private readonly paceTime?: PaceTime,
  ) {
    this.listeners = observer as Partial<Record<keyof SchedulerObserver, Listener>>;
    this.shards = Array.from(
      { length: options.workers },
      (_, index) =>
        new Shard(
          { icmp: options.icmp },
          { events: (events, from, to) => this.replay(events, from, to), crashed: (error) => options.crashed?.(index, error) },
        ),
    );
    this.unshareCores = shareCores();
  }

  /**
   * Hands each worker the change to its part of `targets`, and resolves with the diff once they
   * applied it. The diff is made here, against what each worker was given: a worker is sent only
   * the specs of its targets new or changed and the names of those gone, and one whose part did
   * not change is not asked. A target whose pings stay the same (its labels or degradedLossRatio
   * alone changed) is not sent either: its worker goes on as it is, and the change is announced
   * here. Relabelling 10,000 targets made each worker copy in and keep 5,000 new specs it never
   * reads (2–3 MB that outlived the young generation: its pings waited on the collections).
   */
  async apply(targets: readonly Target[]): Promise<TargetDiff> {
    this.specs = new Map(targets.map((target) => [target.name, target]));
    const parts = this.shards.map(() => ({ id: this.nextId++, specs: [] as Target[], kept: [] as Target[], removed: [] as string[] }));
    const diff: TargetDiff = { added: [], removed: [], changed: [], unchanged: [] };
    const pace = new Pace(this.paceTime);
    for (const [index, target] of targets.entries()) {
      // Compared a batch at a time, as the scheduler does: a reload of 10,000 must not hold the web surface.
      if (index > 0 && index % START_BATCH === 0) {
        await pace.pause();
        // Stopped meanwhile: the workers are going, and nothing is sent to them.
        if (this.stopped) return diff;
      }
      const { name } = target;
      const shard = this.shardOf(name);
      const part = parts[shard] as (typeof parts)[number];
      const held = this.shards[shard]?.assigned.get(name);
      if (held === undefined) {
        part.specs.push(target);
        diff.added.push(name);
      } else if (!samePings(held, target)) {
        part.specs.push(target);
        diff.changed.push(name);
      } else if (!sameSpec(held, target)) {
        part.kept.push(target);
        diff.changed.push(name);
      } else diff.unchanged.push(name);
    }
    for (const [index, shard] of this.shards.entries()) {
      const part = parts[index] as (typeof parts)[number];
      for (const name of shard.assigned.keys()) {
        if (this.specs.has(name)) continue;
        part.removed.push(name);
        diff.removed.push(name);
      }
    }
    await Promise.all(
      this.shards.map((shard, index) => {
        const part = parts[index] as (typeof parts)[number];
        return part.specs.length === 0 && part.removed.length === 0 ? shard.keep(part.kept) : shard.apply(part);
      }),
    );
    // stop() answers every apply its workers had not (applied or not): after it the observer (the
    // service's metrics and status, going with it) is told nothing more, as the scheduler's diff.
    if (this.stopped) return diff;
    pace.begin();
    const relabelled = parts.flatMap((part) => part.kept);
    for (const [index, spec] of relabelled.entries()) {
      if (index > 0 && index % START_BATCH === 0) await pace.pause();
      if (this.stopped) return diff;
      this.announced.set(spec.name, spec);
      this.observer.targetChanged?.(spec);
    }
    // A worker that was down when the change came never reports the targets it no longer runs as
    // removed (its successor never ran them): said here, so their series and status go.
    let said = 0;
    for (const name of diff.removed) {
      if (!this.announced.delete(name)) continue;
      if (said++ > 0 && said % START_BATCH === 0) await pace.pause();
      if (this.stopped) return diff;
      this.observer.targetRemoved?.(name);
    }
    return diff;
  }

  get targetNames(): string[] {
    return this.shards.flatMap((shard) => [...shard.assigned.keys()]);
  }

  /**
   * A packet off the ICMP raw sockets, to every worker: each matches it against its own pings in
   * flight. Those of one turn of the loop go in one message (a flood of errors would cost a
   * message per packet per worker); copied, since the addon reads the next one into the same buffer.
   */
  relayIcmp(family: 4 | 6, packet: Uint8Array, source: string): void {
    if (this.icmpPackets.length === 0) setImmediate(this.flushIcmp);
    this.icmpPackets.push({ family, packet: new Uint8Array(packet), source });
  }

  private readonly flushIcmp = () => {
    const packets = this.icmpPackets;
    this.icmpPackets = [];
    for (const shard of this.shards) shard.post({ kind: 'icmp', packets });
  };

  /** Stops every worker's scheduler (pings in flight get `abortAfterMs`, as the scheduler's stop) and ends the workers. */
  async stop(abortAfterMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    try {
      await Promise.all(this.shards.map((shard) => shard.stop(abortAfterMs)));
    } finally {
      this.unshareCores();
    }
  }

  private shardOf(name: string): number {
    return stableHash(name) % this.shards.length;
  }

  /** Slots `from` to `to` of a worker's batch of events, on this thread's observer as its scheduler reported them. */
  private replay(events: unknown[], from: number, to: number): void {
    for (let i = from; i < to; i += EVENT_SLOTS) {
      const key = observerEvents[events[i] as number] as keyof SchedulerObserver;
      const a = events[i + 1];
      if (key === 'targetAdded' || key === 'targetChanged') {
        const spec = this.specs.get(a as string);
        if (spec === undefined) continue;
        const announced = this.announced.get(spec.name);
        this.announced.set(spec.name, spec);
        // A restarted worker announces again the targets it had: they go on, history and all (and
        // one a reload changed while the worker was down is announced as changed).
        if (key === 'targetAdded' && announced !== undefined) {
          if (!sameSpec(announced, spec)) this.observer.targetChanged?.(spec);
          continue;
        }
        this.observer[key]?.(spec);
        continue;
      }
      if (key === 'targetRemoved') this.announced.delete(a as string);
      this.listeners[key]?.(a, events[i + 2], events[i + 3], events[i + 4]);
    }
  }
}
