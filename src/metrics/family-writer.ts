import { Spans } from './native-spans.js';
import { ProtoWriter, putVarint, zigzag } from './proto-writer.js';

/**
 * The Prometheus protobuf exposition: length-delimited io.prometheus.client.MetricFamily messages
 * (prometheus/client_model metrics.proto). The fields tcpping writes:
 *
 *   MetricFamily   { 1 name, 2 help, 3 type, 4 metric: repeated Metric }
 *   Metric         { 1 label: repeated LabelPair, 2 gauge, 3 counter, 4 summary, 7 histogram }
 *   LabelPair      { 1 name, 2 value }          Gauge, Counter { 1 value: double }
 *   Histogram      { 1 sample_count: uint64, 2 sample_sum: double, 3 bucket: repeated Bucket,
 *                    5 schema: sint32, 6 zero_threshold: double, 7 zero_count: uint64,
 *                    12 positive_span: repeated BucketSpan, 13 positive_delta: packed sint64 }
 *   Bucket         { 1 cumulative_count: uint64, 2 upper_bound: double }   (+Inf left out)
 *   BucketSpan     { 1 offset: sint32, 2 length: uint32 }
 *   Summary        { 1 sample_count: uint64, 2 sample_sum: double, 3 quantile: repeated Quantile }
 *   Quantile       { 1 quantile: double, 2 value: double }
 *
 * Fields at their proto3 default (0) are left out, as protobuf encoders do. Family headers and
 * label pairs are encoded once (familyHeader, encodeLabels) and copied in on every scrape.
 */
export const metricTypes = { counter: 0, gauge: 1, summary: 2, histogram: 4 } as const;
export type MetricType = keyof typeof metricTypes;

/** MetricFamily fields 1–3. */
export function familyHeader(name: string, help: string, type: MetricType): Uint8Array {
  const w = new ProtoWriter(256);
  w.stringField(1, name);
  w.stringField(2, help);
  w.optUintField(3, metricTypes[type]);
  return w.take();
}

/** A Metric's label pairs (field 1, repeated). */
export function encodeLabels(labels: Readonly<Record<string, string>>): Uint8Array {
  const w = new ProtoWriter(256);
  for (const [name, value] of Object.entries(labels)) {
    w.begin(1);
    w.stringField(1, name);
    w.stringField(2, value);
    w.end();
  }
  return w.take();
}

/** Classic bucket bounds with their Bucket.upper_bound fields encoded once (9 bytes each). */
export class ClassicLayout {
  readonly upperBoundFields: Uint8Array[];
  constructor(readonly upperBounds: readonly number[]) {
    this.upperBoundFields = upperBounds.map((bound) => {
      const w = new ProtoWriter(16);
      w.doubleField(2, bound);
      return w.take();
    });
  }
}

/**
 * Native buckets as NativeHistogram keeps them: the counts of consecutive buckets, firstIndex's at
 * counts[start], read in place (a view of each histogram's counts, made at every scrape, was up
 * to 20,000 objects of garbage a scrape at 10,000 targets).
 */
export interface NativeBuckets {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly firstIndex: number;
  readonly counts: ArrayLike<number>;
  readonly start: number;
  readonly end: number;
}

export interface HistogramData {
  readonly count: number;
  readonly sum: number;
  /** Per classic bucket of the layout, not cumulative; a trailing +Inf count is not read. */
  readonly classic: ArrayLike<number>;
}

/** Writes a delimited stream of families: beginFamily(), then a call per series, then endFamily(). */
export class MetricFamilyWriter extends ProtoWriter {
  private readonly spans = new Spans();
  private metrics = 0;

  beginFamily(header: Uint8Array): void {
    this.metrics = 0;
    this.begin();
    this.raw(header);
  }

  /** Closes the family; one without any series is left out (as client_golang does). */
  endFamily(): void {
    if (this.metrics > 0) this.end();
    else this.pos = this.open.pop() as number;
  }

  counter(labels: Uint8Array, value: number): void {
    this.scalar(labels, 3, value);
  }

  gauge(labels: Uint8Array, value: number): void {
    this.scalar(labels, 2, value);
  }

  private scalar(labels: Uint8Array, field: number, value: number): void {
    this.metrics++;
    this.begin(4);
    this.raw(labels);
    this.begin(field);
    this.optDoubleField(1, value);
    this.end();
    this.end();
  }

  /** A summary: its count, sum and quantiles ([quantile, value] pairs). */
  summary(labels: Uint8Array, count: number, sum: number, quantiles: readonly (readonly [number, number])[]): void {
    this.metrics++;
    this.begin(4);
    this.raw(labels);
    this.begin(4);
    this.optUintField(1, count);
    this.optDoubleField(2, sum);
    for (const [quantile, value] of quantiles) {
      this.begin(3);
      this.optDoubleField(1, quantile);
      this.optDoubleField(2, value);
      this.end();
    }
    this.end();
    this.end();
  }

  /** A histogram with its classic buckets, and its native buckets when given. */
  histogram(labels: Uint8Array, h: HistogramData, layout: ClassicLayout, native?: NativeBuckets): void {
    this.metrics++;
    this.begin(4);
    this.raw(labels);
    this.begin(7);
    this.optUintField(1, h.count);
    this.optDoubleField(2, h.sum);
    this.classicBuckets(h.classic, layout);
    if (native) this.nativeBuckets(native);
    this.end();
    this.end();
  }

  /** Every Bucket is under 128 bytes, so its length takes one byte: written in place, without begin()/end(). */
  private classicBuckets(counts: ArrayLike<number>, layout: ClassicLayout): void {
    const n = layout.upperBounds.length;
    this.ensure(n * 22);
    const buf = this.buf;
    let p = this.pos;
    let cumulative = 0;
    for (let i = 0; i < n; i++) {
      cumulative += counts[i] as number;
      buf[p++] = 0x1a; // field 3, length-delimited
      const lengthAt = p++;
      if (cumulative !== 0) {
        buf[p++] = 0x08; // field 1, varint
        p = putVarint(buf, p, cumulative);
      }
      buf.set(layout.upperBoundFields[i] as Uint8Array, p);
      p += 9;
      buf[lengthAt] = p - lengthAt - 1;
    }
    this.pos = p;
  }

  private nativeBuckets(n: NativeBuckets): void {
    if (n.schema !== 0) this.sintField(5, n.schema);
    this.optDoubleField(6, n.zeroThreshold);
    this.optUintField(7, n.zeroCount);
    const { counts, start } = n;
    const spans = this.spans;
    if (spans.find(counts, start, n.end) === 0) {
      // An empty span still marks the histogram as native when nothing was observed yet.
      this.begin(12);
      this.end();
      return;
    }
    // The first span's offset is its first bucket's index; each next one's, the gap after the one before.
    for (let s = 0; s < spans.count; s++) {
      this.begin(12);
      const offset = s === 0 ? n.firstIndex + spans.from(0) : spans.from(s) - spans.to(s - 1);
      if (offset !== 0) this.sintField(1, offset);
      this.uintField(2, spans.to(s) - spans.from(s));
      this.end();
    }
    // Each count as the difference to the one before it, across spans.
    this.begin(13);
    let previous = 0;
    for (let s = 0; s < spans.count; s++) {
      this.ensure(10 * (spans.to(s) - spans.from(s)));
      let p = this.pos;
      for (let i = spans.from(s); i < spans.to(s); i++) {
        const count = counts[start + i] as number;
        p = putVarint(this.buf, p, zigzag(count - previous));
        previous = count;
      }
      this.pos = p;
    }
    this.end();
  }
}
