import type { RoundSummary } from '../stats/round-summary.js';
import { zeroCounts, zeroDoubles } from '../util/counts.js';

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

/**
 * The last `capacity` rounds of one target, oldest first. A ring in two plain arrays of numbers
 * (48 bytes a round on V8's heap, allocated at the first round; src/util/counts.ts says why not
 * typed arrays): memory stays bounded however long the service runs, and a round adds no object
 * for the garbage collector to carry (at 10,000 targets a round a second, objects kept for minutes
 * were most of the collector's work).
 */
export class RoundHistory {
  /** Per slot: at, min, avg, max (NaN: no reply). */
  private times: number[] | undefined;
  /** Per slot: sent, received. */
  private counts: number[] | undefined;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity = DEFAULT_HISTORY_ROUNDS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
  }

  push(point: RoundPoint): void {
    this.record(point.at, point.sent, point.received, point.rtt.min, point.rtt.avg, point.rtt.max);
  }

  /** A finished round, without a RoundPoint made for it. */
  recordRound(summary: RoundSummary, at: number): void {
    const { rtt } = summary;
    this.record(at, summary.sent, summary.received, rtt.min, rtt.avg, rtt.max);
  }

  private record(at: number, sent: number, received: number, min: number | null, avg: number | null, max: number | null): void {
    this.times ??= zeroDoubles(this.capacity * 4);
    this.counts ??= zeroCounts(this.capacity * 2);
    const i = this.next;
    this.times[i * 4] = at;
    this.times[i * 4 + 1] = min ?? Number.NaN;
    this.times[i * 4 + 2] = avg ?? Number.NaN;
    this.times[i * 4 + 3] = max ?? Number.NaN;
    this.counts[i * 2] = sent;
    this.counts[i * 2 + 1] = received;
    this.next = (i + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  get size(): number {
    return this.filled;
  }

  toArray(): RoundPoint[] {
    const { times, counts } = this;
    if (!times || !counts) return [];
    const first = this.filled < this.capacity ? 0 : this.next;
    const rtt = (v: number) => (Number.isNaN(v) ? null : v);
    return Array.from({ length: this.filled }, (_, k) => {
      const i = (first + k) % this.capacity;
      const sent = counts[i * 2] as number;
      const received = counts[i * 2 + 1] as number;
      return {
        at: times[i * 4] as number,
        sent,
        received,
        // As summarizeRound computes it, so the same double comes back.
        lossRatio: sent === 0 ? 0 : (sent - received) / sent,
        rtt: { min: rtt(times[i * 4 + 1] as number), avg: rtt(times[i * 4 + 2] as number), max: rtt(times[i * 4 + 3] as number) },
      };
    });
  }
}
