import { setImmediate, setTimeout as sleep } from 'node:timers/promises';

/** The shortest pause: a timer of 1 ms (Node.js fires timers in whole milliseconds). */
const MIN_PAUSE_MS = 1;
/** The longest: a slice that took long (a garbage collection in it) is not made up for at length. */
const MAX_PAUSE_MS = 20;

/** Real time, unless a test gives its own. */
export interface PaceTime {
  nowMs(): number;
  /** A turn of the event loop. */
  turn(): Promise<unknown>;
  sleep(ms: number): Promise<unknown>;
}

const realTime: PaceTime = { nowMs: () => performance.now(), turn: () => setImmediate(), sleep: (ms) => sleep(ms) };

/** Parts of a service whose pings run on worker threads, on this thread (each isolate has its own count). */
let sharing = 0;

/**
 * Says, until the returned function is called, that this thread is part of a service whose pings
 * run on worker threads (its main thread's ShardedScheduler, or one of those workers): its paces
 * pause between slices. Elsewhere a pause is a turn of the loop, as it was.
 */
export function shareCores(): () => void {
  sharing++;
  let ended = false;
  return () => {
    if (!ended) sharing--;
    ended = true;
  };
}

/**
 * The pace of long work done in slices while the service pings (the targets' checks and diff at a
 * start or reload, each worker's change, the workers' reports of it). With the pings on worker
 * threads (shareCores) it pauses after each slice about as long as the slice took, at least 1 ms:
 * with only a turn of the loop between, a reload ran through every thread at once and took the
 * cores from the pings (README, "Every core": the pings' lateness measured both ways). On one
 * thread a pause is a turn of the loop, which lets a ping due meanwhile start: pausing there
 * moved nothing but the reload's length.
 */
export class Pace {
  private resumedMs: number;

  constructor(private readonly time: PaceTime = realTime) {
    this.resumedMs = time.nowMs();
  }

  /** Starts a slice: after a wait on something else (a message, a read), which was not this work's time. */
  begin(): void {
    this.resumedMs = this.time.nowMs();
  }

  /** How long the slice has run so far, in ms. */
  ranMs(): number {
    return this.time.nowMs() - this.resumedMs;
  }

  /** Ends a slice: resolves after a turn of the loop, or, sharing cores, a pause as long as the slice (1–20 ms). */
  async pause(): Promise<void> {
    if (sharing === 0) await this.time.turn();
    else {
      await this.time.sleep(Math.min(MAX_PAUSE_MS, Math.max(MIN_PAUSE_MS, Math.ceil(this.ranMs()))));
    }
    this.resumedMs = this.time.nowMs();
  }
}
