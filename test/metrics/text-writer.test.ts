import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatValue } from '../../src/metrics/exposition.js';
import { packPrefixes, TextWriter } from '../../src/metrics/text-writer.js';
import { prng } from '../helpers/prng.js';

const written = (write: (w: TextWriter) => void) => {
  const w = new TextWriter();
  write(w);
  return Buffer.from(w.take()).toString();
};

test('a number is written as formatValue writes it, whole numbers digit by digit', () => {
  const random = prng(7);
  const values = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    101,
    3600,
    1e15,
    123456789012345,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    2 ** 60,
    1e21,
    1e300,
    -1,
    -3600,
    0.5,
    1.5e-7,
    2.938735877055719e-39,
    230.44011987919802,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    ...Array.from({ length: 200 }, () => Math.floor(random() * 10 ** Math.floor(random() * 16))),
    ...Array.from({ length: 50 }, () => random() * 1000),
  ];
  for (const value of values)
    assert.equal(
      written((w) => w.number(value)),
      `${formatValue(value)}\n`,
      `value ${value}`,
    );
});

test('numberLine writes the prefix asked for, then the number', () => {
  const prefixes = packPrefixes(['a{x="1"} ', 'b{y="é"} ', 'c ']);
  assert.equal(
    written((w) => {
      w.numberLine(prefixes, 1, 42);
      w.numberLine(prefixes, 0, 0.25);
      w.numberLine(prefixes, 2, Number.NaN);
    }),
    'b{y="é"} 42\na{x="1"} 0.25\nc NaN\n',
  );
});

test('a writer grows past its first buffer without losing a byte', () => {
  const prefixes = packPrefixes(['tcpping_pings_sent_total{target="t"} ']);
  const lines = 20_000;
  const text = written((w) => {
    for (let i = 0; i < lines; i++) w.numberLine(prefixes, 0, i);
  });
  const got = text.split('\n');
  assert.equal(got.length, lines + 1);
  assert.equal(got[lines - 1], `tcpping_pings_sent_total{target="t"} ${lines - 1}`);
  assert.equal(got[12_345], 'tcpping_pings_sent_total{target="t"} 12345');
});
