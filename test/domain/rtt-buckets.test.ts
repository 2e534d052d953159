import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_RTT_BUCKETS_SECONDS, decadeBuckets, rttBuckets } from '../../src/domain/rtt-buckets.js';
import { ConfigError } from '../../src/util/errors.js';

/** The first layout (1, 2.5, 5 per decade, 100 µs to 10 s): rules and dashboards may select its `le` values. */
const FIRST_LAYOUT = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

test('the default: 37 bounds from 25 µs to 25 s, every bound of the first layout, neighbours at most ×1.67 apart', () => {
  assert.equal(DEFAULT_RTT_BUCKETS_SECONDS.length, 37);
  assert.equal(DEFAULT_RTT_BUCKETS_SECONDS[0], 25e-6);
  assert.equal(DEFAULT_RTT_BUCKETS_SECONDS.at(-1), 25);
  for (const bound of FIRST_LAYOUT) assert.ok(DEFAULT_RTT_BUCKETS_SECONDS.includes(bound), String(bound));
  const ratios = DEFAULT_RTT_BUCKETS_SECONDS.slice(1).map((b, i) => b / (DEFAULT_RTT_BUCKETS_SECONDS[i] as number));
  assert.ok(Math.max(...ratios) < 1.67 && Math.min(...ratios) >= 1.4, `ratios ${Math.min(...ratios)}..${Math.max(...ratios)}`);
  // Labels print as written, without floating-point noise.
  assert.deepEqual(DEFAULT_RTT_BUCKETS_SECONDS.slice(18, 24).map(String), ['0.025', '0.035', '0.05', '0.07', '0.1', '0.15']);
  assert.deepEqual(decadeBuckets([1, 3], 0.01, 1), [0.01, 0.03, 0.1, 0.3, 1]);
});

test('a bucket layout is checked: a list of 1 to 100 increasing bounds > 0', () => {
  const cases: [value: unknown, problem: string | undefined][] = [
    [[0.001, 0.01, 0.1], undefined],
    [[5], undefined],
    [Array.from({ length: 100 }, (_, i) => i + 1), undefined],
    [[], 'must be a list of 1 to 100 bucket upper bounds in seconds'],
    [Array.from({ length: 101 }, (_, i) => i + 1), 'must be a list of 1 to 100 bucket upper bounds in seconds'],
    ['0.1,1', 'must be a list of 1 to 100 bucket upper bounds in seconds'],
    [[0.1, 0.1], 'bounds must increase: 0.1 then 0.1'],
    [[1, 0.5], 'bounds must increase: 1 then 0.5'],
    [[0, 1], 'bound 1 (0) is not a number > 0'],
    [[1, -2], 'bound 2 (-2) is not a number > 0'],
    [[1, '2'], 'bound 2 (2) is not a number > 0'],
    [[1, Number.POSITIVE_INFINITY], 'bound 2 (Infinity) is not a number > 0'],
  ];
  for (const [value, problem] of cases) {
    const checked = rttBuckets(value);
    assert.deepEqual(checked.ok ? undefined : checked.error, problem, JSON.stringify(value));
  }
});

test('metrics.rttBuckets and metrics.nativeHistograms load from a file, and a bad layout is named with its key', () => {
  const config = loadConfig({ metrics: { rttBuckets: [0.001, 0.01], nativeHistograms: false } }, 'tcpping.yaml', {});
  assert.deepEqual(config.metrics, { rttBuckets: [0.001, 0.01], nativeHistograms: false, drop: [] });
  assert.throws(
    () => loadConfig({ metrics: { rttBuckets: [0.01, 0.001] } }, 'tcpping.yaml', {}),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.some((p) => /^tcpping\.yaml: metrics\.rttBuckets: bounds must increase: 0\.01 then 0\.001/.test(p)),
  );
});
