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

/**
 * One latency histogram kept both ways, from the same observations: classic buckets (in text and
 * protobuf) and native buckets (protobuf only, for a Prometheus that asks for them). Sum and count
 * belong to both.
 */
export class LatencyHistogram {
  /** Per classic bucket, not cumulative; the last one is +Inf. */
  readonly classic: Float64Array;
  readonly native = new NativeHistogram();
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.classic = new Float64Array(bounds.length + 1);
  }

  /** A non-finite value is not counted: it has no native bucket and would poison the sum. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const i = classicBucketIndex(this.bounds, value);
    this.classic[i] = (this.classic[i] as number) + 1;
    this.sum += value;
    this.count++;
    this.native.observe(value);
  }
}
