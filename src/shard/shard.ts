import type { Worker } from 'node:worker_threads';
import type { Target } from '../domain/target.js';
import { Pace } from '../util/pace.js';
import { type Assignment, EVENT_SLOTS, type FromWorker, SPECS_PER_MESSAGE, type ToWorker, type WorkerSetup } from './messages.js';
import { spawnWorker } from './spawn.js';

/** How long past the pings' own grace a worker that does not answer stop is given before it is ended. */
const STOP_MARGIN_MS = 1000;
/** A dead worker is started again after this long, doubled each time it dies again within RESTART_MAX_MS. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 60_000;
/**
 * The worker's events are replayed EVENTS_PER_STEP at a time, with a turn of the loop whenever
 * REPLAY_BUDGET_MS has gone by: 10,000 targets changed at once came back as a few messages of a
 * thousand events each, which held the service's loop 90–170 ms (its HTTP and the ICMP relay).
 * While a change is under way the turn is a pause (Pace): replayed back to back, its reports
 * took the cores from the workers' pings.
 */
const EVENTS_PER_STEP = 16;
const REPLAY_BUDGET_MS = 2;

export interface ShardHandlers {
  /** The worker's observer events in slots `from` to `to` of a batch, in order. */
  events(events: unknown[], from: number, to: number): void;
  /** The worker died (a bug): it is started again on the same targets. */
  crashed(error: unknown): void;
}

/**
 * One probing worker as the service sees it: what it was assigned, the applies it has not
 * answered, and its start, stop and restart. A worker that dies is started again and given its
 * targets anew; the pings it had in flight are lost with it.
 */
export class Shard {
  /** What the worker runs, by name, as last assigned: the specs it already holds. */
  assigned = new Map<string, Target>();
  private worker: Worker;
  /** Resolves when the current worker has exited. */
  private exited: Promise<void> = Promise.resolve();
  /** Changes sent and not yet answered: each resolves when the worker has applied it. */
  private readonly pending = new Map<number, () => void>();
  private stopping: Promise<void> | undefined;
  private lastError: unknown;
  /** Called when the worker has read the chunk of specs last sent. */
  private took: (() => void) | undefined;
  private sending: Promise<void> = Promise.resolve();
  private restartDelayMs = RESTART_MIN_MS / 2;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  /** The workers' messages not yet handled, in order (an answer waits for the events before it), and where in the first one's events. */
  private readonly inbox: FromWorker[] = [];
  private inboxAt = 0;
  private draining = false;
  private readonly replayPace = new Pace();

  constructor(
    private readonly setup: WorkerSetup,
    private readonly handlers: ShardHandlers,
  ) {
    this.worker = this.start();
  }

  private start(): Worker {
    const worker = spawnWorker(this.setup);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => {
      this.inbox.push(message);
      if (!this.draining) this.drain(false);
    });
    worker.on('error', (error) => {
      this.lastError = error;
    });
    worker.on('exit', (code) => {
      if (this.stopping || worker !== this.worker) return;
      this.handlers.crashed(this.lastError ?? new Error(`probing worker exited with code ${code}`));
      // One that dies again soon after its start waits twice as long each time: no crash loop.
      const lived = performance.now() - startedMs;
      this.restartDelayMs = lived > RESTART_MAX_MS ? RESTART_MIN_MS : Math.min(RESTART_MAX_MS, this.restartDelayMs * 2);
      this.restartTimer = setTimeout(() => this.restart(), this.restartDelayMs);
    });
    const startedMs = performance.now();
    return worker;
  }

  /** Started again on everything assigned; applies it had not answered are answered by the new one. */
  private restart(): void {
    if (this.stopping) return;
    this.lastError = undefined;
    this.worker = this.start();
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    // Its own ids, below zero: never one of the service's.
    const id = -++this.restarts;
    // A new worker runs nothing: everything assigned is new to it.
    const all = [...this.assigned.values()];
    this.assigned = new Map();
    void this.apply({ id, specs: all, removed: [] }).then(() => {
      for (const [, resolve] of waiting) resolve();
    });
  }

  /** Handles the messages received, in order; `all`: without a turn of the loop (stopping). */
  private drain(all: boolean): void {
    this.draining = true;
    let continued = false;
    try {
      continued = this.handleSome(all);
    } finally {
      // An observer that threw leaves the rest of the inbox to the next message, not stuck.
      if (!continued) this.draining = false;
    }
  }

  /** True when it stopped for a turn of the loop or a pause (and will go on after it). */
  private handleSome(all: boolean): boolean {
    this.replayPace.begin();
    const until = performance.now() + REPLAY_BUDGET_MS;
    for (let message = this.inbox[0]; message !== undefined; message = this.inbox[0]) {
      if (message.kind === 'events') {
        const { events } = message;
        while (this.inboxAt < events.length) {
          if (!all && performance.now() >= until) {
            // Paced while a change is under way (its reports); the pings' own results, a turn of the loop:
            // paused, a main thread behind its workers would fall further behind.
            const next = () => this.drain(this.stopping !== undefined);
            if (this.pending.size > 0) void this.replayPace.pause().then(next);
            else setImmediate(next);
            return true;
          }
          const to = Math.min(events.length, this.inboxAt + EVENTS_PER_STEP * EVENT_SLOTS);
          const from = this.inboxAt;
          this.inboxAt = to;
          this.handlers.events(events, from, to);
        }
        this.inboxAt = 0;
      } else if (message.kind === 'took') this.took?.();
      else if (message.kind === 'applied') {
        this.pending.get(message.id)?.();
        this.pending.delete(message.id);
      }
      this.inbox.shift();
    }
    return false;
  }

  /**
   * Hands the worker a change to its part; resolves once its scheduler applied it (the targets it
   * stops have ended, those it starts are announced). `kept`: specs whose pings are those the
   * worker already runs (held here, not sent).
   */
  apply(assignment: Assignment & { readonly kept?: readonly Target[] }): Promise<void> {
    for (const name of assignment.removed) this.assigned.delete(name);
    for (const spec of assignment.specs) this.assigned.set(spec.name, spec);
    this.keep(assignment.kept ?? []);
    // Stopping, the worker applies nothing more (and answers nothing): no reload waits on it.
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      this.pending.set(assignment.id, resolve);
      // One send at a time: a restart's and a reload's chunks must not interleave (one answer each).
      this.sending = this.sending.then(() => this.send(assignment)).catch((error) => this.handlers.crashed(error));
    });
  }

  /**
   * The worker's part is what it runs, its pings' settings and all (a reload that added a target
   * to another worker, or relabelled only): `kept` is held here and the worker is not asked. Asked,
   * a worker of 5,000 targets compared them all again, and kept the diff's maps and arrays over
   * several turns of its loop: they outlived its young generation.
   */
  keep(kept: readonly Target[]): void {
    for (const spec of kept) this.assigned.set(spec.name, spec);
  }

  /** The specs a chunk at a time, each read before the next is sent, then the names removed. */
  private async send({ id, specs, removed }: Assignment): Promise<void> {
    const worker = this.worker;
    for (let at = 0; at < specs.length; at += SPECS_PER_MESSAGE) {
      const took = new Promise<void>((resolve) => {
        this.took = resolve;
      });
      worker.postMessage({ kind: 'specs', specs: specs.slice(at, at + SPECS_PER_MESSAGE) } satisfies ToWorker);
      // A worker that died meanwhile is given everything anew by restart(): this one is abandoned.
      await Promise.race([took, this.exited]);
      if (worker !== this.worker || this.stopping) return;
    }
    worker.postMessage({ kind: 'apply', id, removed } satisfies ToWorker);
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** Asks the worker to stop its scheduler (pings in flight get `abortAfterMs`), then ends it. */
  stop(abortAfterMs: number): Promise<void> {
    clearTimeout(this.restartTimer);
    this.stopping ??= new Promise<void>((resolve) => {
      const worker = this.worker;
      const end = () => {
        clearTimeout(timer);
        // What the worker reported before it stopped is the service's before stop resolves.
        this.drain(true);
        // An apply the worker never answered ends with it: a reload under way must not wait forever.
        for (const answer of this.pending.values()) answer();
        this.pending.clear();
        void worker.terminate().then(() => resolve());
      };
      const grace = Number.isFinite(abortAfterMs) ? abortAfterMs + STOP_MARGIN_MS : 2_147_483_647;
      const timer = setTimeout(end, grace);
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'stopped') end();
      });
      worker.once('exit', end);
      worker.postMessage({ kind: 'stop', abortAfterMs } satisfies ToWorker);
    });
    return this.stopping;
  }
}
