import type { RoundSummary } from '../stats/round-summary.js';

/** One finished round as the status page and the API keep it. RTTs in seconds, null when nothing came back. */
export interface RoundPoint {
  /** Unix seconds when the round finished. */
  readonly at: number;
  readonly sent: number;
  readonly received: number;
  readonly lossRatio: number;
  readonly rtt: { readonly min: number | null; readonly avg: number | null; readonly max: number | null };
}

/** Two hours at the default 30 s interval; about 60 kB per target in the API's JSON. */
export const DEFAULT_HISTORY_ROUNDS = 120;

export function roundPoint(summary: RoundSummary, at: number): RoundPoint {
  const { sent, received, lossRatio, rtt } = summary;
  return { at, sent, received, lossRatio, rtt: { min: rtt.min, avg: rtt.avg, max: rtt.max } };
}

/** The last `capacity` rounds of one target, oldest first. A ring: memory stays bounded however long the service runs. */
export class RoundHistory {
  private readonly slots: RoundPoint[] = [];
  private next = 0;

  constructor(readonly capacity = DEFAULT_HISTORY_ROUNDS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
  }

  push(point: RoundPoint): void {
    if (this.slots.length < this.capacity) this.slots.push(point);
    else this.slots[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.slots.length;
  }

  toArray(): RoundPoint[] {
    if (this.slots.length < this.capacity) return [...this.slots];
    return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }
}
