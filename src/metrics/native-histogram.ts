import { zeroCounts } from '../util/counts.js';
import { bucketIndex, MAX_SCHEMA, MIN_SCHEMA } from './native-buckets.js';

export interface NativeHistogramOptions {
  /** The starting (highest) resolution. Default 4: buckets 4.43% wide, so a quantile is off by less than that. */
  readonly schema?: number;
  /** Populated buckets at most before the resolution is halved. Default 160 (the limit Grafana Cloud applies). */
  readonly maxBuckets?: number;
  /** The lowest schema halving may reach; below it maxBuckets may be exceeded. Default 0 (buckets ×2 wide). */
  readonly minSchema?: number;
  /** Observations <= this go to the zero bucket. Default 2^-128, as client_golang's. */
  readonly zeroThreshold?: number;
}

export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

/** The counts of every histogram before its first bucket: never written (observe grows a histogram's own first). */
const noCounts: number[] = [];

/**
 * A native histogram of positive observations (RTTs): sparse exponential buckets, kept as dense
 * counts over the populated range.
 *
 * Bounded size: when more than maxBuckets buckets are in use, the resolution is halved (schema - 1:
 * bucket i merges into ceil(i/2)), again if need be, down to minSchema, as client_golang does as a
 * last resort. Counts stay cumulative, so rate() sees no counter reset; Prometheus compares
 * histograms of different schemas at the lower one. There is no automatic reset back to the
 * starting schema: it would reset sum, count and the classic buckets too (they travel in the same
 * message), and Prometheus takes a schema increase as a reset anyway. The resolution comes back
 * when the histogram is created again (a restart, the target removed and added).
 */
export class NativeHistogram {
  schema: number;
  readonly zeroThreshold: number;
  readonly maxBuckets: number;
  readonly minSchema: number;
  zeroCount = 0;
  /** Buckets with a count > 0. */
  populated = 0;
  /**
   * store[k] is the count of bucket base + k. The shared empty one until the first observation: a
   * reload that adds 10,000 targets makes no array here (two objects of 96 and 88 bytes a
   * histogram that outlived the young generation), and a target that never answers never does.
   */
  private store = noCounts;
  private base = 0;
  /** The populated range of store, [lo, hi); empty when lo === hi. */
  private lo = 0;
  private hi = 0;

  constructor(options: NativeHistogramOptions = {}) {
    this.schema = options.schema ?? 4;
    this.maxBuckets = options.maxBuckets ?? 160;
    this.minSchema = options.minSchema ?? 0;
    this.zeroThreshold = options.zeroThreshold ?? DEFAULT_ZERO_THRESHOLD;
    if (!Number.isInteger(this.schema) || this.schema < MIN_SCHEMA || this.schema > MAX_SCHEMA) {
      throw new RangeError(`schema ${this.schema} is not an integer from ${MIN_SCHEMA} to ${MAX_SCHEMA}`);
    }
    if (this.minSchema < MIN_SCHEMA || this.minSchema > this.schema) throw new RangeError(`minSchema ${this.minSchema} not in -4..schema`);
    if (!(this.maxBuckets >= 1)) throw new RangeError('maxBuckets must be at least 1');
  }

  /** Index of the first populated bucket (meaningless when there is none). */
  get firstIndex(): number {
    return this.base + this.lo;
  }

  /** Counts of the buckets firstIndex, firstIndex + 1, ...; zeros between populated ones. A copy (a writer reads them in place: counts, start, end). */
  get buckets(): number[] {
    return this.store.slice(this.lo, this.hi);
  }

  /** Where the buckets are kept: firstIndex's count is counts[start], the last one's counts[end - 1]. Not to be written. */
  get counts(): readonly number[] {
    return this.store;
  }

  get start(): number {
    return this.lo;
  }

  get end(): number {
    return this.hi;
  }

  /** Counts one finite observation; values <= zeroThreshold (negative ones too) go to the zero bucket. */
  observe(value: number): void {
    if (value <= this.zeroThreshold) {
      this.zeroCount++;
      return;
    }
    let at = bucketIndex(value, this.schema) - this.base;
    if (at < 0 || at >= this.store.length) at = this.grow(at);
    if (this.store[at] !== 0) {
      this.store[at] = (this.store[at] as number) + 1;
      return;
    }
    this.store[at] = 1;
    if (this.lo === this.hi) {
      this.lo = at;
      this.hi = at + 1;
    } else if (at < this.lo) this.lo = at;
    else if (at >= this.hi) this.hi = at + 1;
    if (++this.populated > this.maxBuckets && this.schema > this.minSchema) this.reduce();
  }

  /** Makes room for relative position k (outside store) with some slack on both sides; returns its new position. */
  private grow(k: number): number {
    const index = this.base + k;
    const empty = this.lo === this.hi;
    const first = empty ? index : Math.min(index, this.base + this.lo);
    const last = empty ? index : Math.max(index, this.base + this.hi - 1);
    const slack = Math.max(8, (last - first + 1) >> 1);
    const base = first - slack;
    const next = zeroCounts(last - first + 1 + 2 * slack);
    if (empty) this.lo = this.hi = index - base;
    else {
      const shift = this.base - base;
      for (let j = this.lo; j < this.hi; j++) next[j + shift] = this.store[j] as number;
      this.lo += shift;
      this.hi += shift;
    }
    this.store = next;
    this.base = base;
    return index - base;
  }

  /** Halves the resolution until at most maxBuckets are populated or minSchema is reached. */
  private reduce(): void {
    while (this.populated > this.maxBuckets && this.schema > this.minSchema) {
      const first = Math.ceil((this.base + this.lo) / 2);
      const last = Math.ceil((this.base + this.hi - 1) / 2);
      const slack = 8;
      const base = first - slack;
      const next = zeroCounts(last - first + 1 + 2 * slack);
      for (let k = this.lo; k < this.hi; k++) {
        const count = this.store[k] as number;
        if (count !== 0) {
          const at = Math.ceil((this.base + k) / 2) - base;
          next[at] = (next[at] as number) + count;
        }
      }
      let populated = 0;
      for (const count of next) if (count !== 0) populated++;
      this.store = next;
      this.base = base;
      this.lo = slack;
      this.hi = last - base + 1;
      this.populated = populated;
      this.schema--;
    }
  }
}
