import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassicLayout, encodeLabels, familyHeader, MetricFamilyWriter } from '../../src/metrics/family-writer.js';
import { NativeHistogram } from '../../src/metrics/native-histogram.js';
import { Spans } from '../../src/metrics/native-spans.js';
import { ProtoWriter, varintSize } from '../../src/metrics/proto-writer.js';
import { nativeCounts, readMetricFamilies } from '../helpers/protobuf.js';

test('a counter family, byte for byte', () => {
  const w = new MetricFamilyWriter();
  w.beginFamily(familyHeader('a', 'h', 'counter'));
  w.counter(encodeLabels({ t: 'x' }), 1);
  w.endFamily();
  // MetricFamily { name "a", help "h", type COUNTER (0, the default: left out),
  //                metric { label { name "t", value "x" }, counter { value 1.0 } } }, length-prefixed.
  const metric = [0x0a, 6, 0x0a, 1, 0x74, 0x12, 1, 0x78, 0x1a, 9, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
  const family = [0x0a, 1, 0x61, 0x12, 1, 0x68, 0x22, metric.length, ...metric];
  assert.deepEqual([...w.take()], [family.length, ...family]);
});

test('varints and zigzag as protobuf reads them', () => {
  const cases: [value: number, bytes: number[]][] = [
    [0, [0]],
    [1, [1]],
    [127, [0x7f]],
    [128, [0x80, 1]],
    [300, [0xac, 2]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 8]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  const w = new ProtoWriter(4);
  for (const [value, bytes] of cases) {
    w.varint(value);
    assert.deepEqual([...w.take()], bytes, String(value));
    assert.equal(varintSize(value), bytes.length);
  }
  for (const [value, field] of [
    [0, [0x28, 0]],
    [-1, [0x28, 1]],
    [1, [0x28, 2]],
    [-64, [0x28, 0x7f]],
    [64, [0x28, 0x80, 1]],
  ] as const) {
    w.sintField(5, value);
    assert.deepEqual([...w.take()], field, `sint ${value}`);
  }
});

test('messages of 1-, 2- and 3-byte lengths; zeros left out yet read back; NaN and -0 kept', () => {
  for (const n of [10, 200, 20_000]) {
    const w = new MetricFamilyWriter(8);
    w.beginFamily(familyHeader('f', 'x'.repeat(n), 'gauge'));
    w.gauge(encodeLabels({ target: 'y'.repeat(n) }), -2.5);
    w.gauge(encodeLabels({ target: 'z' }), Number.NaN);
    w.gauge(encodeLabels({ target: 'zero' }), 0);
    w.gauge(encodeLabels({ target: 'minus zero' }), -0);
    w.endFamily();
    const [f] = readMetricFamilies(w.take());
    assert.equal(f?.help.length, n);
    assert.equal(f?.type, 1);
    assert.equal(f?.metrics[0]?.labels[0]?.value.length, n);
    assert.deepEqual(
      f?.metrics.map((m) => m.gauge),
      [-2.5, Number.NaN, 0, -0],
    );
  }
});

test('a histogram with classic and native buckets: spans, gaps and deltas', () => {
  const bounds = [0.01, 0.025, 0.05, 0.1];
  const native = new NativeHistogram({ schema: 2 });
  const classic = new Float64Array(bounds.length + 1);
  const values = [0.03, 0.03, 0.031, 0.045, 0.2, 0.2, 5e-40, 0.0125];
  for (const v of values) {
    native.observe(v);
    const i = bounds.findIndex((b) => v <= b);
    classic[i < 0 ? bounds.length : i] = (classic[i < 0 ? bounds.length : i] as number) + 1;
  }
  const sum = values.reduce((a, b) => a + b, 0);
  const w = new MetricFamilyWriter();
  w.beginFamily(familyHeader('tcpping_rtt_seconds', 'RTT.', 'histogram'));
  w.histogram(encodeLabels({ target: 'a' }), { count: values.length, sum, classic }, new ClassicLayout(bounds), native);
  w.endFamily();
  const [f] = readMetricFamilies(w.take());
  assert.equal(f?.type, 4);
  const h = f?.metrics[0]?.histogram ?? assert.fail('no histogram');
  assert.equal(h.sampleCount, 8);
  assert.equal(h.sampleSum, sum);
  assert.deepEqual(
    h.buckets.map((b) => [b.upperBound, b.cumulativeCount]),
    [
      [0.01, 1],
      [0.025, 2],
      [0.05, 6],
      [0.1, 6],
    ],
  );
  assert.equal(h.schema, 2);
  assert.equal(h.zeroThreshold, 2 ** -128);
  assert.equal(h.zeroCount, 1);
  // Schema 2: 0.0125 is in bucket -25; 0.03, 0.03, 0.031 in -20; 0.045 in -17; 0.2 in -9. A gap of
  // two empty buckets stays inside a span, a longer one starts the next.
  assert.deepEqual(
    h.positiveSpans.map((s) => [s.offset, s.length]),
    [
      [-25, 1],
      [4, 4],
      [7, 1],
    ],
  );
  assert.deepEqual(h.positiveDeltas, [1, 2, -3, 0, 1, 1]);
  assert.deepEqual(
    nativeCounts(h),
    new Map([
      [-25, 1],
      [-20, 3],
      [-17, 1],
      [-9, 2],
    ]),
  );
});

test('an empty native histogram carries one empty span; a family without series is left out', () => {
  const w = new MetricFamilyWriter();
  w.beginFamily(familyHeader('empty_family', 'nothing', 'counter'));
  w.endFamily();
  w.beginFamily(familyHeader('h', 'x', 'histogram'));
  w.histogram(encodeLabels({ target: 'a' }), { count: 0, sum: 0, classic: [0] }, new ClassicLayout([1]), new NativeHistogram());
  w.endFamily();
  const families = readMetricFamilies(w.take());
  assert.deepEqual(
    families.map((f) => f.name),
    ['h'],
  );
  const h = families[0]?.metrics[0]?.histogram;
  assert.deepEqual(h?.positiveSpans, [{ offset: 0, length: 0 }]);
  assert.deepEqual(h?.positiveDeltas, []);
  assert.equal(h?.schema, 4);
});

test('without native buckets a histogram is classic only (no schema, no spans)', () => {
  const w = new MetricFamilyWriter();
  w.beginFamily(familyHeader('h', 'x', 'histogram'));
  w.histogram(encodeLabels({}), { count: 1, sum: 0.5, classic: [1, 0] }, new ClassicLayout([1]));
  w.endFamily();
  const h = readMetricFamilies(w.take())[0]?.metrics[0]?.histogram;
  assert.deepEqual(h?.positiveSpans, []);
  assert.equal(h?.zeroThreshold, 0);
  assert.deepEqual(h?.buckets, [{ upperBound: 1, cumulativeCount: 1 }]);
});

test('spans: runs of populated buckets, gaps of up to two empty buckets kept inside', () => {
  const cases: [counts: number[], spans: [from: number, to: number][]][] = [
    [[], []],
    [[0, 0], []],
    [[5], [[0, 1]]],
    [[0, 1, 2, 0], [[1, 3]]],
    [[1, 0, 0, 1], [[0, 4]]],
    [
      [1, 0, 0, 0, 1],
      [
        [0, 1],
        [4, 5],
      ],
    ],
    [
      [0, 0, 3, 0, 0, 0, 0, 2, 2, 0, 1],
      [
        [2, 3],
        [7, 11],
      ],
    ],
  ];
  const spans = new Spans();
  for (const [counts, expected] of cases) {
    spans.find(counts);
    assert.deepEqual(
      Array.from({ length: spans.count }, (_, i) => [spans.from(i), spans.to(i)]),
      expected,
      JSON.stringify(counts),
    );
  }
  const many = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 100 spans: the list grows
  assert.equal(spans.find(many), 100);
  assert.deepEqual([spans.from(99), spans.to(99)], [396, 397]);
  // A histogram's buckets are read where it keeps them: a range of its array, positions counted from the range's start.
  assert.equal(spans.find([5, 0, 0, 1, 0, 0, 0, 2, 7], 1, 8), 2);
  assert.deepEqual(
    Array.from({ length: spans.count }, (_, i) => [spans.from(i), spans.to(i)]),
    [
      [2, 3],
      [6, 7],
    ],
  );
});
