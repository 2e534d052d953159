/**
 * The buckets of Prometheus native (exponential) histograms. At schema s each power of two is split
 * into 2^s buckets whose bounds grow by 2^(2^-s), and 1 is a bound. Bucket i holds the values v
 * with 2^((i-1)/2^s) < v <= 2^(i/2^s): upper bounds are inclusive, so 1 is in bucket 0 and 0.5 in
 * bucket -2^s. Valid schemas are -4..8; a bucket is 2^(2^-s) - 1 wide relative to its lower bound
 * (schema 3: 9.05%, schema 4: 4.43%, schema 5: 2.19%).
 */
export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;

/**
 * The bounds of one power of two as fractions in [0.5, 1), per schema > 0. Computed with `2 **`,
 * which V8 does not round correctly (nor are client_golang's and Prometheus's hard-coded tables):
 * about half differ from theirs by 1–2 ulp, so only a value within 2 ulp of a bound could land one
 * bucket over. Powers of two are exact.
 */
const fractionBounds: Float64Array[] = [];
function boundsOf(schema: number): Float64Array {
  let bounds = fractionBounds[schema];
  if (!bounds) {
    const n = 2 ** schema;
    bounds = Float64Array.from({ length: n }, (_, j) => 2 ** (j / n) / 2);
    fractionBounds[schema] = bounds;
  }
  return bounds;
}

const f64 = new Float64Array(1);
/** f64's high 32 bits (little-endian): sign, exponent and the top of the mantissa. */
const high = new Uint32Array(f64.buffer);

/** The bucket of a finite value > 0 at a schema: client_golang's algorithm (frexp, then a binary search). */
export function bucketIndex(value: number, schema: number): number {
  // frexp: value = fraction × 2^exponent with fraction in [0.5, 1).
  f64[0] = value;
  let biased = ((high[1] as number) >>> 20) & 0x7ff;
  let exponent: number;
  if (biased === 0) {
    f64[0] = value * 2 ** 64; // subnormal: scale into the normal range first
    biased = ((high[1] as number) >>> 20) & 0x7ff;
    exponent = biased - 1022 - 64;
  } else exponent = biased - 1022;
  high[1] = ((high[1] as number) & 0x800fffff) | (1022 << 20);
  const fraction = f64[0] as number;

  if (schema > 0) {
    const bounds = boundsOf(schema);
    let lo = 0;
    let hi = bounds.length; // the first bound >= fraction
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bounds[mid] as number) < fraction) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exponent - 1) * bounds.length;
  }
  // A power of two is the upper bound of the bucket below.
  const key = fraction === 0.5 ? exponent - 1 : exponent;
  return (key + (1 << -schema) - 1) >> -schema;
}

/** The inclusive upper bound of a bucket (its lower bound is the one of the bucket below). */
export function bucketUpperBound(index: number, schema: number): number {
  if (schema <= 0) return 2 ** (index * 2 ** -schema);
  const n = 2 ** schema;
  const j = ((index % n) + n) % n;
  return (boundsOf(schema)[j] as number) * 2 ** ((index - j) / n + 1);
}
