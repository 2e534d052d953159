import { zeroCounts } from '../util/counts.js';
import { NativeHistogram } from './native-histogram.js';

/** The bucket (upper bound inclusive, as Prometheus's `le`) of a value; bounds.length is the +Inf bucket. */
export function classicBucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The shared zero counts of each bucket layout (by its bounds array, one per service). */
const sharedZeros = new WeakMap<readonly number[], number[]>();
function zerosFor(bounds: readonly number[]): number[] {
  let zeros = sharedZeros.get(bounds);
  if (zeros === undefined) {
    zeros = zeroCounts(bounds.length + 1);
    sharedZeros.set(bounds, zeros);
  }
  return zeros;
}

/** The native buckets of every histogram before its first observation (observe() replaces it first). */
const unobserved = new NativeHistogram();

/**
 * One latency histogram kept both ways, from the same observations: classic buckets (in text and
 * protobuf) and native buckets (protobuf only, for a Prometheus that asks for them). Sum and count
 * belong to both.
 */
export class LatencyHistogram {
  /**
   * Per classic bucket, not cumulative; the last one is +Inf. Until the first observation, zeros
   * shared by every histogram of these bounds (never written): a histogram's own array is made by
   * its first ping, spread over the interval, not by the reload that adds 10,000 targets at once.
   */
  classic: number[];
  /** Its native buckets: likewise one empty histogram shared by all until the first observation (never written). */
  native = unobserved;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.classic = zerosFor(bounds);
  }

  /** A non-finite value is not counted: it has no native bucket and would poison the sum. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    // The first observation (count counts nothing else): the histogram's own counts from now on.
    if (this.count === 0) {
      this.classic = zeroCounts(this.bounds.length + 1);
      this.native = new NativeHistogram();
    }
    const i = classicBucketIndex(this.bounds, value);
    this.classic[i] = (this.classic[i] as number) + 1;
    this.sum += value;
    this.count++;
    this.native.observe(value);
  }
}
