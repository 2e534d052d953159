import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Service } from '../../src/service.js';
import { finiteValues, haveTools, type Prometheus, startPrometheus, which } from '../helpers/prometheus.js';
import { ruleFiles, startTcpping } from './model.js';

// The lean series (metrics.drop: the classic buckets) scraped by two real Prometheus servers at
// once: one with native histograms (protobuf) and the shipped rules, one reading text only.
const drop = ['tcpping_rtt_seconds_bucket', 'tcpping_connect_seconds_bucket'];
let service: Service | undefined;
let native: Prometheus | undefined;
let text: Prometheus | undefined;

async function waitFor(prom: Prometheus, expr: string, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (finiteValues(await prom.query(expr)).length === 0) {
    if (Date.now() > deadline) throw new Error(`${what}: ${expr} still empty after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

before(
  async () => {
    if (!which('prometheus')) return; // the test skips, or fails under CI=true
    service = await startTcpping({ metrics: { drop } });
    const targets = [`127.0.0.1:${service.httpAddress?.port}`];
    [native, text] = await Promise.all([
      startPrometheus({ targets, ruleFiles, intervalSeconds: 1, nativeHistograms: true }),
      startPrometheus({ targets, intervalSeconds: 1 }),
    ]);
  },
  { timeout: 60_000 },
);

after(async () => {
  await Promise.all([native?.stop(), text?.stop()]);
  await service?.stop();
});

test('lean series: the shipped RTT rules work from the native histogram; a text-only Prometheus still gets rate and average', async (t) => {
  if (!haveTools(t, 'prometheus')) return;
  const [withNative, textOnly] = [native ?? assert.fail('no Prometheus'), text ?? assert.fail('no Prometheus')];
  await waitFor(withNative, 'target:tcpping_rtt_seconds:histogram_quantile_rate5m{quantile="0.5"}', 'native');
  const median = finiteValues(await withNative.query('target:tcpping_rtt_seconds:histogram_quantile_rate5m{quantile="0.5"}'))[0];
  assert.ok(median !== undefined && median > 0 && median < 0.1, `median RTT ${median}`);
  // Nothing of the classic buckets reaches either one but the +Inf bucket of the text form.
  assert.deepEqual(await withNative.query('tcpping_rtt_seconds_bucket'), []);
  await waitFor(textOnly, 'rate(tcpping_rtt_seconds_sum[5s]) / rate(tcpping_rtt_seconds_count[5s])', 'text');
  const buckets = await textOnly.query('tcpping_rtt_seconds_bucket');
  assert.deepEqual(
    buckets.map((s) => s.metric.le),
    ['+Inf'],
  );
  const average = finiteValues(await textOnly.query('rate(tcpping_rtt_seconds_sum[5s]) / rate(tcpping_rtt_seconds_count[5s])'))[0];
  assert.ok(average !== undefined && average > 0 && average < 0.1, `average RTT ${average}`);
});
