import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMs, niceCeil, renderChart } from '../../src/http/chart.js';
import type { RoundPoint } from '../../src/status/history.js';

const T0 = 1_700_000_000;
const ok = (i: number, minMs: number, avgMs: number, maxMs: number, received = 20): RoundPoint => ({
  at: T0 + i * 30,
  sent: 20,
  received,
  lossRatio: (20 - received) / 20,
  rtt: { min: minMs / 1000, avg: avgMs / 1000, max: maxMs / 1000 },
});
const lost = (i: number): RoundPoint => ({
  at: T0 + i * 30,
  sent: 20,
  received: 0,
  lossRatio: 1,
  rtt: { min: null, avg: null, max: null },
});

const count = (svg: string, tag: string) => (svg.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length;
const lossBars = (svg: string) => (svg.match(/fill="#d2352b"/g) ?? []).length;

/** Elements nest properly: every opened tag is closed, in order. */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes something else`);
    else stack.push(name as string);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}

/** Every number in an attribute is finite and lies inside the drawing. */
function assertGeometry(svg: string, width: number, height: number): void {
  assert.doesNotMatch(svg, /NaN|Infinity|undefined|null/);
  for (const [, name, value] of svg.matchAll(/ (x|x1|x2|y|y1|y2|width|height|points)="([^"]*)"/g)) {
    for (const v of (value as string).split(/[ ,]/).map(Number)) {
      assert.ok(Number.isFinite(v), `${name}="${value}"`);
      assert.ok(v >= 0 && v <= Math.max(width, height), `${name}="${value}" outside the chart`);
    }
  }
}

const cases: {
  name: string;
  history: RoundPoint[];
  bands: number;
  lines: number;
  bars: number;
  shows?: RegExp[];
  hides?: RegExp[];
}[] = [
  { name: 'empty history', history: [], bands: 0, lines: 0, bars: 0, shows: [/no rounds yet/], hides: [/ ms</] },
  { name: 'one round, no loss', history: [ok(0, 1, 2, 3)], bands: 1, lines: 1, bars: 0, shows: [/>5 ms</, /22:13:20 UTC/] },
  { name: 'all rounds lost', history: [lost(0), lost(1), lost(2)], bands: 0, lines: 0, bars: 3, shows: [/no replies/], hides: [/ ms</] },
  {
    name: 'a lost round splits the band',
    history: [ok(0, 1, 2, 3, 18), ok(1, 1, 2, 4), lost(2), ok(3, 2, 3, 9, 15)],
    bands: 2,
    lines: 2,
    bars: 3,
    shows: [/>10 ms</],
  },
  { name: 'RTTs of zero', history: [ok(0, 0, 0, 0), ok(1, 0, 0, 0)], bands: 1, lines: 1, bars: 0, shows: [/>1 ms</] },
  {
    name: 'garbage figures are left out, never printed',
    history: [
      { at: T0, sent: 20, received: 20, lossRatio: Number.NaN, rtt: { min: Number.NaN, avg: 0.002, max: Number.POSITIVE_INFINITY } },
      { at: T0 + 30, sent: 20, received: 10, lossRatio: 0.5, rtt: { min: -1, avg: Number.NaN, max: null } },
    ],
    bands: 1,
    lines: 1,
    bars: 1,
  },
  // Every 7th round all lost (17), splitting the band into 18 runs; 77 more lose some pings (i % 4 ≠ 0).
  {
    name: 'a full ring of 120 rounds',
    history: Array.from({ length: 120 }, (_, i) => (i % 7 === 3 ? lost(i) : ok(i, 0.1, 0.2 + (i % 5) / 10, 1, 20 - (i % 4)))),
    bands: 18,
    lines: 18,
    bars: 94,
    shows: [/>22:13:20</],
  },
];

for (const c of cases) {
  test(`chart: ${c.name}`, () => {
    const svg = renderChart(c.history, { width: 300, height: 120 });
    assert.match(svg, /^<svg class="chart" [^>]*role="img"/);
    assertBalanced(svg);
    assertGeometry(svg, 300, 120);
    assert.equal(count(svg, 'polygon'), c.bands, 'min–max bands');
    assert.equal(count(svg, 'polyline'), c.lines, 'average lines');
    assert.equal(lossBars(svg), c.bars, 'loss bars');
    assert.equal((svg.match(/<title>/g) ?? []).length, 1 + c.history.length, 'a tooltip per round');
    for (const re of c.shows ?? []) assert.match(svg, re);
    for (const re of c.hides ?? []) assert.doesNotMatch(svg, re);
  });
}

test('a round tooltip names its loss and RTTs', () => {
  const svg = renderChart([ok(0, 1, 2.5, 4, 15)]);
  assert.match(svg, /<title>22:13:20 UTC: 25% loss \(15\/20\), RTT min\/avg\/max 1\/2\.5\/4 ms<\/title>/);
});

test('the newest round is drawn at the right edge; more rounds than slots squeeze, never overflow', () => {
  for (const rounds of [1, 30, 31, 500]) {
    const svg = renderChart(
      Array.from({ length: rounds }, (_, i) => ok(i, 1, 2, 3)),
      { width: 300, minSlots: 30 },
    );
    const xs = [...svg.matchAll(/<rect x="([\d.]+)" y="8" width="([\d.]+)"/g)].map(([, x, w]) => Number(x) + Number(w));
    assert.ok(Math.abs(Math.max(...xs) - 292) < 0.2, `${rounds} rounds end at ${Math.max(...xs)}`);
  }
});

test('niceCeil rounds a scale up to 1, 2, 2.5 or 5 × 10^k', () => {
  const table: [number, number][] = [
    [0, 1],
    [Number.NaN, 1],
    [-3, 1],
    [1, 1],
    [1.01, 2],
    [2.2, 2.5],
    [4.65, 5],
    [10.57, 20],
    [99, 100],
    [0.3, 0.5],
    [0.04, 0.05],
  ];
  for (const [input, expected] of table) assert.equal(niceCeil(input), expected, String(input));
});

test('formatMs keeps three significant digits', () => {
  assert.deepEqual([0.125, 2.5, 10, 0.05, 1234.5].map(formatMs), ['0.125', '2.5', '10', '0.05', '1230']);
});

test("one outlier does not flatten the chart: the RTT axis is the 95th percentile of the rounds' highest, the outlier clipped and marked", () => {
  const history = Array.from({ length: 60 }, (_, i) => (i === 30 ? ok(i, 0.2, 1.3, 20) : ok(i, 0.2, 0.3, 0.45)));
  const svg = renderChart(history);
  assert.match(svg, />0\.5 ms</, 'the axis fits the usual rounds');
  assert.doesNotMatch(svg, />20 ms</);
  assert.equal((svg.match(/class="clipped"/g) ?? []).length, 1);
  assert.match(svg, /RTT min\/avg\/max 0\.2\/1\.3\/20 ms/, 'its tooltip keeps the real figures');
  assertGeometry(svg, 300, 120);
});

test('loss bars are drawn to a scale that fits the worst visible round: 20% is most of the panel, not a sliver', () => {
  const heights = (svg: string) => [...svg.matchAll(/height="([\d.]+)" fill="#d2352b"/g)].map(([, h]) => Number(h));
  const svg = renderChart([ok(0, 1, 2, 3, 16), ok(1, 1, 2, 3, 20), ok(2, 1, 2, 3, 19)]);
  assert.match(svg, />25%</);
  const [twenty, five] = heights(svg);
  assert.ok((twenty ?? 0) >= 20, `20% loss drawn ${twenty}px high`);
  assert.ok((five ?? 0) >= 5, `5% loss drawn ${five}px high`);
  const withDead = renderChart([ok(0, 1, 2, 3, 16), lost(1)]);
  assert.match(withDead, />100%</);
});
