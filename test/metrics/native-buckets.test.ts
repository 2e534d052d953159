import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex, bucketUpperBound } from '../../src/metrics/native-buckets.js';
import { prng } from '../helpers/prng.js';

/** The next double up. */
const nextUp = (v: number) => {
  const b = new Float64Array([v]);
  const bits = new BigInt64Array(b.buffer);
  bits[0] = (bits[0] as bigint) + 1n;
  return b[0] as number;
};

test('values at and around bucket bounds, as Prometheus places them (upper bounds inclusive)', () => {
  const cases: [value: number, schema: number, index: number][] = [
    [1, 4, 0],
    [nextUp(1), 4, 1],
    [0.5, 4, -16],
    [0.5, 3, -8],
    [0.5, 0, -1],
    [2, 0, 1],
    [3, 0, 2],
    [4, -1, 1], // schema -1: (1, 4] is bucket 1
    [4.5, -1, 2],
    [0.03, 4, -80], // a 30 ms RTT: (29.925 ms, 31.25 ms]
    [0.03125, 4, -80], // 2^-5: the upper bound itself
    [2 ** -128, 4, -128 * 16],
    [Number.MIN_VALUE, 0, -1074], // subnormal
    [1e300, 2, Math.ceil(Math.log2(1e300) * 4)],
  ];
  for (const [value, schema, index] of cases) assert.equal(bucketIndex(value, schema), index, `${value} at schema ${schema}`);
});

test('powers of two are upper bounds at every schema from -4 to 8', () => {
  for (let schema = -4; schema <= 8; schema++) {
    for (let e = -40; e <= 40; e++) {
      const width = 2 ** -schema; // powers of two per bucket when schema < 0
      const index = schema >= 0 ? e * 2 ** schema : Math.ceil(e / width) + 0; // + 0: no -0
      assert.equal(bucketIndex(2 ** e, schema), index, `2^${e} at schema ${schema}`);
      if (schema >= 0) assert.equal(bucketIndex(nextUp(2 ** e), schema), index + 1);
    }
  }
});

test("client_golang's schema-4 bounds (Prometheus's exponentialBounds) split the buckets", () => {
  const go = [
    0.5, 0.5221368912137069, 0.5452538663326288, 0.5693943173783458, 0.5946035575013605, 0.620928906036742, 0.6484197773255048,
    0.6771277734684463, 0.7071067811865475, 0.7384130729697496, 0.7711054127039704, 0.805245165974627, 0.8408964152537144,
    0.8781260801866495, 0.9170040432046711, 0.9576032806985735,
  ];
  for (let e = -20; e <= 5; e++) {
    for (const [j, fraction] of go.entries()) {
      const bound = fraction * 2 ** e;
      const index = (e - 1) * 16 + j;
      assert.equal(bucketIndex(bound * (1 - 1e-12), 4), index);
      assert.equal(bucketIndex(bound * (1 + 1e-12), 4), index + 1);
      assert.ok(Math.abs(bucketUpperBound(index, 4) / bound - 1) < 1e-15, `bound of ${index}`);
    }
  }
});

test('random values from 100 ns to 100 ks land between their bucket bounds', () => {
  const random = prng(1);
  for (let n = 0; n < 20_000; n++) {
    const v = 10 ** (random() * 12 - 7);
    for (const schema of [-2, 0, 1, 3, 4, 5, 8]) {
      const i = bucketIndex(v, schema);
      assert.ok(bucketUpperBound(i - 1, schema) < v && v <= bucketUpperBound(i, schema), `${v} at schema ${schema}: bucket ${i}`);
    }
  }
});

test('a schema-4 bucket is 4.43% wide', () => {
  for (const index of [-200, -80, 0, 37]) {
    const width = bucketUpperBound(index, 4) / bucketUpperBound(index - 1, 4) - 1;
    assert.ok(Math.abs(width - (2 ** (1 / 16) - 1)) < 1e-12 && width < 0.0443, `bucket ${index}: ${width}`);
  }
});
