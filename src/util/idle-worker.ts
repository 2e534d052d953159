import { Worker } from 'node:worker_threads';
import { type Clock, systemClock, type TimerHandle } from './clock.js';

/** How long a worker with nothing to do is kept before it is ended. */
export const IDLE_WORKER_MS = 30_000;

/**
 * A worker thread (its source evaluated) started when there is work for it and ended once it has
 * had none for `idleMs`. An idle one is not free: a YAML parser's isolate held about 20 MiB of RSS
 * here (72 MiB with it alive and idle, 52 MiB once it had ended, 3 runs), a sixth of the service at
 * 1,000 targets, for a reload that comes once in a while. It holds the process open only while
 * work is pending.
 */
export class IdleWorker {
  private worker: Worker | undefined;
  private timer: TimerHandle | undefined;

  /** `wire` adds the caller's listeners to each worker started (a worker ended by failing is forgotten by `forget`). */
  constructor(
    private readonly source: string,
    private readonly wire: (worker: Worker) => void,
    private readonly idleMs = IDLE_WORKER_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The worker, started if there is none, kept and holding the process open until `idle`. */
  busy(): Worker {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.worker) {
      this.worker = new Worker(this.source, { eval: true, execArgv: [] });
      this.wire(this.worker);
    }
    this.worker.ref();
    return this.worker;
  }

  /** Nothing pending: the process may exit, and the worker ends after idleMs unless work comes first. */
  idle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      if (this.forget(worker)) void worker.terminate();
    }, this.idleMs);
    // A timer of the system clock must not hold the process open either.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Whether `worker` was the current one; it no longer is (it failed, exited or was ended). */
  forget(worker: Worker): boolean {
    if (this.worker !== worker) return false;
    this.worker = undefined;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return true;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker && this.forget(worker)) await worker.terminate();
  }
}
