import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, collectDefaultMetrics, Histogram, Registry, Summary } from 'prom-client';
import { Metrics } from '../../src/metrics/metrics.js';
import { registryProtobuf } from '../../src/metrics/registry-protobuf.js';
import { parseExposition } from '../helpers/exposition.js';
import { readMetricFamilies } from '../helpers/protobuf.js';

test("prom-client's registry in protobuf: counters, gauges and classic histograms, labels kept", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const lag = new Histogram({ name: 'lag_seconds', help: 'Lag.', buckets: [0.001, 0.01], registers: [registry] });
  const bad = new Counter({ name: 'bad_total', help: 'Bad.', labelNames: ['reason'], registers: [registry] });
  lag.observe(0.005);
  lag.observe(0.5);
  bad.inc({ reason: 'long' }, 2);
  const families = new Map(readMetricFamilies(await registryProtobuf(registry)).map((f) => [f.name, f]));
  assert.equal(families.get('bad_total')?.type, 0);
  assert.deepEqual(families.get('bad_total')?.metrics, [{ labels: [{ name: 'reason', value: 'long' }], counter: 2 }]);
  const h = families.get('lag_seconds')?.metrics[0]?.histogram;
  assert.equal(h?.sampleCount, 2);
  assert.equal(h?.sampleSum, 0.505);
  assert.deepEqual(
    h?.buckets.map((b) => [b.upperBound, b.cumulativeCount]),
    [
      [0.001, 0],
      [0.01, 1],
    ],
  );
  assert.equal(families.get('nodejs_eventloop_lag_seconds')?.type, 1);
  assert.ok(families.has('process_cpu_user_seconds_total'));
});

test("tcpping's own registry: the same families and series in protobuf as in text (a family without series left out)", async () => {
  const registry = new Registry();
  new Metrics(registry, 'test');
  const text = parseExposition(await registry.metrics());
  const families = readMetricFamilies(await registryProtobuf(registry));
  const seriesInText = (name: string, type: string) =>
    text.samples.filter((s) => s.name === (type === 'histogram' || type === 'summary' ? `${name}_count` : name)).length;
  const expected = [...text.types].filter(([name, type]) => seriesInText(name, type) > 0);
  assert.deepEqual(
    families.map((f) => [f.name, f.metrics.length]),
    expected.map(([name, type]) => [name, seriesInText(name, type)]),
  );
});

test('a summary: count, sum and quantiles, per label set (tcpping_event_loop_delay_seconds is one)', async () => {
  const registry = new Registry();
  const s = new Summary({ name: 'odd_seconds', help: 'Odd.', labelNames: ['kind'], percentiles: [0.5, 1], registers: [registry] });
  for (const v of [1, 2, 3]) s.observe({ kind: 'a' }, v);
  const [family] = readMetricFamilies(await registryProtobuf(registry));
  assert.equal(family?.type, 2);
  assert.deepEqual(family?.metrics, [
    {
      labels: [{ name: 'kind', value: 'a' }],
      summary: {
        sampleCount: 3,
        sampleSum: 6,
        quantiles: [
          { quantile: 0.5, value: 2 },
          { quantile: 1, value: 3 },
        ],
      },
    },
  ]);
});
