/**
 * Time is injected so the scheduler, the responder's delays and probe timeouts run on fake time
 * in tests. Measurements (RTTs) never go through the clock: they use performance.now() directly
 * in socket callbacks, because that is what they measure.
 */
/** Opaque: what setTimeout returned, for clearTimeout (the system clock's is node's own Timeout). */
export type TimerHandle = object;

export interface Clock {
  /** Monotonic milliseconds; only differences mean anything. */
  nowMs(): number;
  /** Wall-clock seconds since the Unix epoch (for the wire protocol and timestamps). */
  wallSeconds(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  wallSeconds: () => (performance.timeOrigin + performance.now()) / 1000,
  // Node's Timeout is the handle itself: no wrapper per timer (thousands of pings a second arm one each).
  // Whole milliseconds, rounded up: node fires a timer no earlier than that anyway (its clock counts
  // whole ms), and it keeps one list per distinct duration, so a fractional one (every round's
  // next start) made and dropped a list and a priority-queue entry per timer.
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, Math.ceil(ms))),
  clearTimeout(handle) {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
};

export type Random = () => number;
