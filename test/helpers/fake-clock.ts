import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due timers in order and lets promise
 * chains and already-arrived socket events run between them, so a 1 s timeout takes a millisecond.
 */
export class FakeClock implements Clock {
  private now = 0;
  private nextId = 1;
  private timers: Pending[] = [];

  constructor(private readonly wallOffsetSeconds = 1_700_000_000) {}

  nowMs(): number {
    return this.now;
  }

  wallSeconds(): number {
    return this.wallOffsetSeconds + this.now / 1000;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const id = (handle as { id?: number } | undefined)?.id;
    if (id !== undefined) this.timers = this.timers.filter((t) => t.id !== id);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      await settle();
      const next = this.timers.reduce<Pending | undefined>((a, t) => (a === undefined || t.at < a.at ? t : a), undefined);
      if (!next || next.at > until) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.at;
      next.fn();
    }
    this.now = until;
    await settle();
  }
}

/** Lets queued promise callbacks and pending I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
