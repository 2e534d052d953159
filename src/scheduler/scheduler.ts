import type { PathReport } from '../domain/path.js';
import type { IcmpReport, PingResult, UnverifiedIcmpReason } from '../domain/ping.js';
import type { Target } from '../domain/target.js';
import type { UnverifiedIcmpListener } from '../probe/types.js';
import type { RoundSummary } from '../stats/round-summary.js';
import { AbortRelay } from '../util/abort-relay.js';
import { Pace, type PaceTime } from '../util/pace.js';
import { sameValue } from '../util/same-value.js';
import { type Due, DueQueue } from './due-queue.js';
import { observersIn } from './observers.js';
import { type RoundDeps, type RoundHooks, runRound } from './round.js';

/**
 * Everything the scheduler reports, from the targets it runs to each ping's result and the ICMP
 * errors that come late; metrics, the status board and the log subscribe. This is the one road
 * from the pings to what the service shows.
 */
export interface SchedulerObserver {
  /** A target starts running: its series and status exist from now on, before its first ping. */
  targetAdded?(target: Target): void;
  /**
   * A target's settings or labels changed: it keeps its history, and restarts with them (or, when
   * only what the pings do not use changed, its labels or degradedLossRatio, goes on with them).
   */
  targetChanged?(target: Target): void;
  /** A target stopped for good; its pings in flight have ended. */
  targetRemoved?(name: string): void;
  pingStarted?(target: string, lagSeconds: number): void;
  pingFinished?(target: string, result: PingResult): void;
  /**
   * An ICMP error about ping `seq` of `target` that changed no verdict: it came after the ping
   * ended, or the kernel did not confirm it for the ping's socket (a forged one, for instance).
   */
  unverifiedIcmp?(target: string, seq: number, report: IcmpReport, reason: UnverifiedIcmpReason): void;
  roundFinished?(target: string, summary: RoundSummary, results: readonly PingResult[]): void;
  roundSkipped?(target: string): void;
  /** Each round's address; `previous` is set when it differs from the last round's. */
  addressResolved?(target: string, address: string, previous?: string): void;
  /** A round that threw (a bug, e.g. in an observer): reported, and the target keeps its schedule. */
  roundFailed?(target: string, error: unknown): void;
  /**
   * A trace of the target's TCP path (src/trace/), run by the tracer that hears of its rounds here:
   * when its pings began to be lost, when they recovered, or on its turn every N rounds.
   */
  pathTraced?(target: string, report: PathReport): void;
}

export interface TargetDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly unchanged: string[];
}

/**
 * Two specs run alike (the same object, or equal at every key, in any order): a target given
 * either keeps running untouched. A reload hands back the very objects of the targets it did not
 * change (validateTargetSteps), so most comparisons end at the first line.
 */
export function sameSpec(a: Target, b: Target): boolean {
  return sameValue(a, b);
}

/** What a target's rounds never read: the status, metrics and tracer take it from targetChanged. */
const notPinged: ReadonlySet<string> = new Set<keyof Target>(['labels', 'degradedLossRatio']);

/**
 * Two specs whose pings are the same (they differ at most in labels or degradedLossRatio): a
 * target given the other goes on with it, its schedule and any round in flight kept. Relabelling
 * 10,000 targets restarted each (a runner and a timer apiece: 9 MiB that outlived the young
 * generation, scavenges of 10–17 ms).
 */
export function samePings(a: Target, b: Target): boolean {
  return sameValue(a, b, notPinged);
}

/**
 * Targets compared, stopped or started between two pauses (util/pace.ts) when a diff has many:
 * pings keep their time. 100 of them are 1–2 ms of work (500 held pings up to 6 ms).
 */
export const START_BATCH = 100;

/**
 * A batch of targets arriving or leaving is told to one observer at a time, and a slice that has
 * run this long ends before the next observer's turn. Each observer (metrics, status, tracer,
 * transition log) keeps a Map of the targets, as the scheduler does, and all of them double at the
 * same target (the 4,097th, the 8,193rd: 2–3 ms apiece at 8,193, a new table of 458 kB on fresh
 * pages) and shrink at the same one: told target by target, the five fell in one slice, which held
 * pings 13–17 ms in a reload replacing 10,000 targets (README, "Every core").
 */
export const SPLIT_AFTER_MS = 1;

/** FNV-1a: a stable start offset for a target added at run time, the same on every reload. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** First rounds are spread evenly over the interval so N targets do not all fire at once. */
export function startOffsetMs(index: number, total: number, intervalMs: number): number {
  return total <= 1 ? 0 : Math.floor((index * intervalMs) / total);
}

/**
 * Runs rounds per target at a fixed rate. A target's rounds never overlap: a round due while the
 * previous one still runs is skipped and reported, not queued.
 */
export class Scheduler {
  private readonly runners = new Map<string, TargetRunner>();
  /** Runners a diff is stopping (removed or changed targets): stop() must bound their pings too. */
  private readonly retiring = new Set<TargetRunner>();
  private stopped = false;
  /** Every runner's next round, under one timer. */
  private readonly queue: DueQueue;
  /** Those `observer` reports to, told of many targets one at a time (tellEach). */
  private readonly observers: readonly SchedulerObserver[];

  /** `paceTime`: the time of the pauses in long work (util/pace.ts), real unless a test gives its own. */
  constructor(
    private readonly deps: RoundDeps,
    private readonly observer: SchedulerObserver,
    private readonly paceTime?: PaceTime,
  ) {
    this.queue = new DueQueue(deps.clock);
    this.observers = observersIn(observer);
  }

  /**
   * Applies a new target list as a diff: unchanged targets keep running untouched, removed ones
   * stop, added ones start (spread by a stable hash of their name), changed ones restart.
   */
  async apply(targets: readonly Target[]): Promise<TargetDiff> {
    const next = new Map<string, Target>();
    const pace = new Pace(this.paceTime);
    for (const [index, target] of targets.entries()) {
      if (index > 0 && index % (10 * START_BATCH) === 0) await pace.pause();
      next.set(target.name, target);
    }
    // The names alone, taken before the diff (it deletes as it goes): a copy of the entries was a
    // pair array per target kept over every turn of the diff (1 MB at 10,000 targets copied out of
    // the young generation).
    return this.change([...this.runners.keys()], next, targets, pace);
  }

  /**
   * Applies a change to some targets only: each of `upserts` starts, or replaces the target of its
   * name as apply() would, and `removed` stop; the others are not looked at. A worker told of one
   * new target compared its 5,000 again (3 ms more of its pings' lateness, median of 8 reloads).
   * The diff's `unchanged` are those of `upserts` that were the same.
   */
  update(upserts: readonly Target[], removed: readonly string[]): Promise<TargetDiff> {
    // By name: a name given twice starts one runner (the last spec given).
    const next = new Map(upserts.map((target) => [target.name, target]));
    return this.change([...removed, ...next.keys()], next, [...next.values()], new Pace(this.paceTime));
  }

  /** The diff of the runners named in `names` against `next`; `targets` (in order) are those to start if not running. */
  private async change(
    names: readonly string[],
    next: ReadonlyMap<string, Target>,
    targets: readonly Target[],
    pace: Pace,
  ): Promise<TargetDiff> {
    const diff: TargetDiff = { added: [], removed: [], changed: [], unchanged: [] };
    const stopping: Promise<void>[] = [];
    for (let index = 0; index < names.length; index++) {
      if (index > 0 && index % START_BATCH === 0) await pace.pause();
      const name = names[index] as string;
      const runner = this.runners.get(name);
      // Not running (new in an update), or stop() came during a turn: it stops every runner itself.
      if (runner === undefined) continue;
      const spec = next.get(name);
      const same = spec !== undefined && sameSpec(spec, runner.spec);
      (spec === undefined ? diff.removed : same ? diff.unchanged : diff.changed).push(name);
      if (same) continue;
      if (spec !== undefined && samePings(spec, runner.spec)) {
        runner.spec = spec;
        this.observer.targetChanged?.(spec);
        continue;
      }
      this.runners.delete(name);
      this.retiring.add(runner);
      stopping.push(runner.stop(runner.spec.timeoutMs).finally(() => this.retiring.delete(runner)));
    }
    await Promise.all(stopping);
    pace.begin();
    // Their series and status go a batch at a time too. After stop() no more batches are told
    // (the service is going, and the observers with it) and the pace no longer pauses.
    for (let from = 0; from < diff.removed.length; from += START_BATCH) {
      if (from > 0) await pace.pause();
      if (this.stopped) return diff;
      await this.tellEach(diff.removed.slice(from, from + START_BATCH), pace, (observer, name) => observer.targetRemoved?.(name));
    }
    // stop() may have come while the old runners were finishing: start nothing after it.
    if (this.stopped) return diff;
    // The first set (at start) is spread evenly; later additions by a stable hash of their name.
    const first = this.runners.size === 0;
    const fresh = targets.filter((spec) => !this.runners.has(spec.name));
    const changed = new Set(diff.changed);
    const now = this.deps.clock.nowMs();
    // Many targets are announced (series, status), then started, a batch at a time, paced.
    for (let from = 0; from < fresh.length; from += START_BATCH) {
      if (from > 0) await pace.pause();
      if (this.stopped) return diff;
      const batch = fresh.slice(from, from + START_BATCH);
      await this.tellEach(batch, pace, (observer, spec) =>
        changed.has(spec.name) ? observer.targetChanged?.(spec) : observer.targetAdded?.(spec),
      );
      // The scheduler's own Map of runners grows at the same target as the observers' did.
      if (pace.ranMs() >= SPLIT_AFTER_MS) await pace.pause();
      // Told to every observer even when stop() came between two of them; started only if not.
      if (this.stopped) return diff;
      for (const [k, spec] of batch.entries()) {
        if (!changed.has(spec.name)) diff.added.push(spec.name);
        const index = from + k;
        const offset = first ? startOffsetMs(index, fresh.length, spec.intervalMs) : stableHash(spec.name) % spec.intervalMs;
        // The first rounds keep the times planned at the start of the diff, wherever the batch falls.
        this.launch(spec, now + offset);
      }
    }
    return diff;
  }

  /**
   * Tells a batch of targets to each observer in turn, ending the slice between two observers when
   * it has run SPLIT_AFTER_MS (an observer's Map of targets grew or shrank in it).
   */
  private async tellEach<T>(batch: readonly T[], pace: Pace, tell: (observer: SchedulerObserver, item: T) => void): Promise<void> {
    for (const [index, observer] of this.observers.entries()) {
      if (index > 0 && pace.ranMs() >= SPLIT_AFTER_MS) await pace.pause();
      for (const item of batch) tell(observer, item);
    }
  }

  private launch(spec: Target, firstRoundMs: number): void {
    const runner = new TargetRunner(spec, this.deps, this.observer, this.queue);
    this.runners.set(spec.name, runner);
    runner.schedule(firstRoundMs);
  }

  get targetNames(): string[] {
    return [...this.runners.keys()];
  }

  /**
   * Stops scheduling and waits for pings in flight; after `abortAfterMs` they are aborted, those of
   * targets a reload is removing or changing included (their own timeout may be far longer).
   */
  async stop(abortAfterMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    const runners = [...this.runners.values(), ...this.retiring];
    this.runners.clear();
    await Promise.all(runners.map((runner) => runner.stop(abortAfterMs)));
  }
}

/**
 * One target's rounds, and the hooks its rounds report through (methods of its own: a hooks object
 * of four closures was 390 bytes a target, made by the thousand on a reload).
 */
class TargetRunner implements RoundHooks, Due {
  /** Its next round's planned time and place in the queue (the queue's to set). */
  dueMs = 0;
  slot = -1;
  order = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  /**
   * What a round watches, made by the first (a reload that adds 10,000 targets makes none of it:
   * it comes with their first pings, spread over the interval). Fired by stop(): no round starts,
   * the round running ends after its ping in flight.
   */
  private stopping: AbortRelay | undefined;
  /** Fired when stop()'s grace is over: the ping in flight is aborted. Latches, not AbortControllers (about 1 KB a target less). */
  private abort: AbortRelay | undefined;
  private onUnverifiedIcmp: UnverifiedIcmpListener | undefined;
  private lastAddress: string | undefined;
  private readonly name: string;

  /** Replaced in place when only what the pings do not read changed (samePings); a round takes it as it starts. */
  constructor(
    public spec: Target,
    private readonly deps: RoundDeps,
    private readonly observer: SchedulerObserver,
    private readonly queue: DueQueue,
  ) {
    this.name = spec.name;
  }

  /** Called unbound (the ICMP capture keeps it while an ended ping lingers): a closure, made by the first ping. */
  get unverifiedIcmp(): UnverifiedIcmpListener {
    this.onUnverifiedIcmp ??= (seq, report, reason) => this.observer.unverifiedIcmp?.(this.name, seq, report, reason);
    return this.onUnverifiedIcmp;
  }

  pingStarted(_seq: number, lagSeconds: number): void {
    this.observer.pingStarted?.(this.name, lagSeconds);
  }

  pingFinished(result: PingResult): void {
    this.observer.pingFinished?.(this.name, result);
  }

  resolved(address: string): void {
    const previous = this.lastAddress !== undefined && this.lastAddress !== address ? this.lastAddress : undefined;
    this.lastAddress = address;
    this.observer.addressResolved?.(this.name, address, previous);
  }

  schedule(plannedMs: number): void {
    if (!this.stopped) this.queue.add(this, plannedMs);
  }

  fire(): void {
    this.tick(this.dueMs);
  }

  private tick(plannedMs: number): void {
    const { clock } = this.deps;
    const { name, intervalMs } = this.spec;
    if (this.running) this.observer.roundSkipped?.(name);
    else this.running = this.round(plannedMs);
    // If the process fell behind by whole intervals, those rounds are skipped rather than bunched.
    let next = plannedMs + intervalMs;
    while (next <= clock.nowMs()) {
      this.observer.roundSkipped?.(name);
      next += intervalMs;
    }
    this.schedule(next);
  }

  private async round(plannedStartMs: number): Promise<void> {
    const name = this.spec.name;
    try {
      this.stopping ??= new AbortRelay();
      this.abort ??= new AbortRelay();
      const control = { plannedStartMs, stopping: this.stopping, signal: this.abort };
      const outcome = await runRound(this.spec, this.deps, this, control);
      if (outcome.complete) this.observer.roundFinished?.(name, outcome.summary, outcome.results);
    } catch (error) {
      this.observer.roundFailed?.(name, error);
    } finally {
      this.running = undefined;
    }
  }

  async stop(abortAfterMs: number): Promise<void> {
    this.stopped = true;
    this.stopping?.fire();
    this.queue.remove(this);
    if (!this.running) return;
    if (!Number.isFinite(abortAfterMs)) return this.running;
    const timer = this.deps.clock.setTimeout(() => this.abort?.fire(), abortAfterMs);
    await this.running;
    this.deps.clock.clearTimeout(timer);
  }
}
