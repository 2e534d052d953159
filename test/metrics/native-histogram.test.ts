import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex } from '../../src/metrics/native-buckets.js';
import { NativeHistogram } from '../../src/metrics/native-histogram.js';
import { prng } from '../helpers/prng.js';

/** Populated buckets by index. */
function counts(h: NativeHistogram): Map<number, number> {
  const m = new Map<number, number>();
  for (const [k, c] of h.buckets.entries()) if (c !== 0) m.set(h.firstIndex + k, c);
  return m;
}

test('counts sparsely; zero, negative and values under the threshold go to the zero bucket', () => {
  const h = new NativeHistogram({ schema: 3, zeroThreshold: 1e-6 });
  for (const v of [0.03, 0.03, 0.0301, 1, 2, 0, 1e-6, -1]) h.observe(v);
  assert.equal(h.zeroCount, 3);
  assert.deepEqual(
    counts(h),
    new Map([
      [bucketIndex(0.03, 3), 3],
      [0, 1],
      [8, 1],
    ]),
  );
  assert.equal(h.populated, 3);
});

test('grows to both sides without losing a count', () => {
  const h = new NativeHistogram({ schema: 4, maxBuckets: 1000 });
  const expected = new Map<number, number>();
  const random = prng(3);
  for (let n = 0; n < 3000; n++) {
    const v = 10 ** (random() * 8 - 6);
    h.observe(v);
    const i = bucketIndex(v, 4);
    expected.set(i, (expected.get(i) ?? 0) + 1);
  }
  assert.deepEqual(counts(h), expected);
  assert.equal(h.populated, expected.size);
});

test('over the cap, the resolution halves: exactly the buckets a histogram at the lower schema would have', () => {
  const cases: [schema: number, maxBuckets: number, decades: number][] = [
    [5, 40, 6],
    [4, 160, 6], // 25 µs .. 25 s, as a mesh with retransmits can see: schema 3
    [4, 160, 1], // one decade fits at schema 4
    [8, 10, 3], // 11 buckets even at schema 0, the floor: over the cap
  ];
  const random = prng(7);
  for (const [schema, maxBuckets, decades] of cases) {
    const values = Array.from({ length: 5000 }, () => 25e-6 * 10 ** (random() * decades));
    const capped = new NativeHistogram({ schema, maxBuckets });
    for (const v of values) capped.observe(v);
    const direct = new NativeHistogram({ schema: capped.schema, maxBuckets: 100_000 });
    for (const v of values) direct.observe(v);
    assert.ok(capped.populated <= maxBuckets || capped.schema === 0, `schema ${schema}, cap ${maxBuckets}: ${capped.populated} buckets`);
    assert.deepEqual(counts(capped), counts(direct), `schema ${schema} → ${capped.schema}`);
  }
});

test('the resolution stops halving at minSchema, and never comes back by itself', () => {
  const h = new NativeHistogram({ schema: 2, maxBuckets: 3, minSchema: 1 });
  for (let e = -10; e <= 10; e++) h.observe(2 ** e * 1.1);
  assert.equal(h.schema, 1);
  assert.ok(h.populated > 3);
  for (let n = 0; n < 100; n++) h.observe(1.1);
  assert.equal(h.schema, 1);
});

test('bad options are refused', () => {
  assert.throws(() => new NativeHistogram({ schema: 9 }), /schema 9 is not an integer from -4 to 8/);
  assert.throws(() => new NativeHistogram({ schema: 2, minSchema: 3 }), /minSchema 3/);
  assert.throws(() => new NativeHistogram({ maxBuckets: 0 }), /maxBuckets/);
});
