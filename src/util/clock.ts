/**
 * Time is injected so the scheduler, the responder's delays and probe timeouts run on fake time
 * in tests. Measurements (RTTs) never go through the clock: they use process.hrtime.bigint()
 * directly in socket callbacks, because that is what they measure.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Monotonic milliseconds; only differences mean anything. */
  nowMs(): number;
  /** Wall-clock seconds since the Unix epoch (for the wire protocol and timestamps). */
  wallSeconds(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

let nextId = 1;

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  wallSeconds: () => (performance.timeOrigin + performance.now()) / 1000,
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return Object.assign({ id: nextId++ }, { timer }) as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout((handle as TimerHandle & { timer: NodeJS.Timeout }).timer);
  },
};

export type Random = () => number;
