/**
 * A reader of the Prometheus protobuf exposition (length-delimited io.prometheus.client.MetricFamily),
 * written from the protobuf wire-format specification, independently of src/metrics' writer. It
 * reads every field the way a protobuf decoder would (unknown fields skipped, packed and unpacked
 * repeated numbers, defaults for absent fields), so a test sees what Prometheus would see.
 */
export interface LabelPair {
  readonly name: string;
  readonly value: string;
}
export interface Histogram {
  readonly sampleCount: number;
  readonly sampleSum: number;
  readonly buckets: { readonly cumulativeCount: number; readonly upperBound: number }[];
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly positiveSpans: { readonly offset: number; readonly length: number }[];
  readonly positiveDeltas: number[];
}
export interface Summary {
  readonly sampleCount: number;
  readonly sampleSum: number;
  readonly quantiles: { readonly quantile: number; readonly value: number }[];
}
export interface Metric {
  readonly labels: LabelPair[];
  readonly gauge?: number;
  readonly counter?: number;
  readonly summary?: Summary;
  readonly histogram?: Histogram;
}
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  /** 0 counter, 1 gauge, 2 summary, 3 untyped, 4 histogram. */
  readonly type: number;
  readonly metrics: Metric[];
}

type Value = bigint | Uint8Array | number;
interface Field {
  readonly no: number;
  readonly value: Value;
}

function varint(bytes: Uint8Array, at: { pos: number }): bigint {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (at.pos >= bytes.length) throw new Error('truncated varint');
    const b = bytes[at.pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
  }
  throw new Error('varint longer than 10 bytes');
}

/** The fields of one message: varints as bigint, fixed64 as a double, length-delimited as bytes. */
function fieldsOf(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  const at = { pos: 0 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (at.pos < bytes.length) {
    const key = Number(varint(bytes, at));
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, value: varint(bytes, at) });
    else if (wire === 1) {
      out.push({ no, value: view.getFloat64(at.pos, true) });
      at.pos += 8;
    } else if (wire === 2) {
      const len = Number(varint(bytes, at));
      if (at.pos + len > bytes.length) throw new Error('truncated length-delimited field');
      out.push({ no, value: bytes.subarray(at.pos, at.pos + len) });
      at.pos += len;
    } else if (wire === 5) at.pos += 4;
    else throw new Error(`wire type ${wire} of field ${no}`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const unzigzag = (v: bigint): number => Number(v & 1n ? -((v + 1n) >> 1n) : v >> 1n);
const all = (fields: Field[], no: number) => fields.filter((f) => f.no === no).map((f) => f.value);
const last = (fields: Field[], no: number): Value | undefined => all(fields, no).at(-1);
const num = (v: Value | undefined): number => (v === undefined ? 0 : typeof v === 'bigint' ? Number(v) : (v as number));
const str = (v: Value | undefined): string => (v === undefined ? '' : utf8.decode(v as Uint8Array));
const msg = (v: Value | undefined): Field[] => (v === undefined ? [] : fieldsOf(v as Uint8Array));

/** Repeated sint64, packed (one length-delimited field) or not. */
function sints(fields: Field[], no: number): number[] {
  return all(fields, no).flatMap((v) => {
    if (typeof v === 'bigint') return [unzigzag(v)];
    const packed = v as Uint8Array;
    const values: number[] = [];
    for (const at = { pos: 0 }; at.pos < packed.length; ) values.push(unzigzag(varint(packed, at)));
    return values;
  });
}

function histogramOf(f: Field[]): Histogram {
  return {
    sampleCount: num(last(f, 1)),
    sampleSum: num(last(f, 2)),
    buckets: all(f, 3).map((b) => ({ cumulativeCount: num(last(msg(b), 1)), upperBound: num(last(msg(b), 2)) })),
    schema: (() => {
      const v = last(f, 5);
      return v === undefined ? 0 : unzigzag(v as bigint);
    })(),
    zeroThreshold: num(last(f, 6)),
    zeroCount: num(last(f, 7)),
    positiveSpans: all(f, 12).map((s) => {
      const offset = last(msg(s), 1);
      return { offset: offset === undefined ? 0 : unzigzag(offset as bigint), length: num(last(msg(s), 2)) };
    }),
    positiveDeltas: sints(f, 13),
  };
}

function summaryOf(f: Field[]): Summary {
  return {
    sampleCount: num(last(f, 1)),
    sampleSum: num(last(f, 2)),
    quantiles: all(f, 3).map((q) => ({ quantile: num(last(msg(q), 1)), value: num(last(msg(q), 2)) })),
  };
}

function metricOf(f: Field[]): Metric {
  const labels = all(f, 1).map((l) => ({ name: str(last(msg(l), 1)), value: str(last(msg(l), 2)) }));
  const gauge = last(f, 2);
  const counter = last(f, 3);
  const summary = last(f, 4);
  const histogram = last(f, 7);
  return {
    labels,
    ...(gauge !== undefined ? { gauge: num(last(msg(gauge), 1)) } : {}),
    ...(counter !== undefined ? { counter: num(last(msg(counter), 1)) } : {}),
    ...(summary !== undefined ? { summary: summaryOf(msg(summary)) } : {}),
    ...(histogram !== undefined ? { histogram: histogramOf(msg(histogram)) } : {}),
  };
}

/** Every MetricFamily of a delimited stream, in order. */
export function readMetricFamilies(bytes: Uint8Array): MetricFamily[] {
  const out: MetricFamily[] = [];
  const at = { pos: 0 };
  while (at.pos < bytes.length) {
    const len = Number(varint(bytes, at));
    if (at.pos + len > bytes.length) throw new Error(`truncated MetricFamily at byte ${at.pos}`);
    const f = fieldsOf(bytes.subarray(at.pos, at.pos + len));
    at.pos += len;
    out.push({ name: str(last(f, 1)), help: str(last(f, 2)), type: num(last(f, 3)), metrics: all(f, 4).map((m) => metricOf(msg(m))) });
  }
  return out;
}

/** Native bucket counts by bucket index, from spans and deltas (zeros left out). */
export function nativeCounts(h: Histogram): Map<number, number> {
  const counts = new Map<number, number>();
  let index = 0;
  let count = 0;
  let d = 0;
  // The first span's offset is the first bucket's index; each next one's, the gap after the span before.
  for (const span of h.positiveSpans) {
    index += span.offset;
    for (let k = 0; k < span.length; k++) {
      count += h.positiveDeltas[d++] ?? Number.NaN;
      if (count !== 0) counts.set(index, count);
      index++;
    }
  }
  return counts;
}
