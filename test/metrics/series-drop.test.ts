import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { targetFamilyNames as domainNames } from '../../src/domain/target-series-names.js';
import { targetFamilyNames } from '../../src/metrics/target-families.js';
import { TargetSeries } from '../../src/metrics/target-series.js';
import { ConfigError } from '../../src/util/errors.js';
import { parseExposition } from '../helpers/exposition.js';
import { readMetricFamilies } from '../helpers/protobuf.js';

const lean = ['tcpping_rtt_seconds_bucket', 'tcpping_connect_seconds_bucket', 'tcpping_round_rtt_mdev_seconds'];

function problemsOf(drop: unknown): string[] {
  try {
    loadConfig({ metrics: { drop } }, 'drop.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function filled(drop: readonly string[] = []): TargetSeries {
  const series = new TargetSeries({ drop });
  series.add({ name: 'a', address: '127.0.0.1:1', mode: 'connect' });
  series.add({ name: 'b', address: '127.0.0.1:2', mode: 'connect' });
  series.sent('a');
  series.sent('a');
  series.ping('a', { ok: true, value: { seq: 1, rttSeconds: 0.001, connectSeconds: 0.0005 } });
  series.ping('a', { ok: true, value: { seq: 2, rttSeconds: 0.003, connectSeconds: 0.0015 } });
  return series;
}

test('the family names metrics.drop accepts are the families the metrics write', () => {
  assert.deepEqual(targetFamilyNames, [...domainNames]);
});

test('metrics.drop: known series accepted; a typo, a repeat or a service-wide family refused by name', () => {
  assert.deepEqual(loadConfig({ metrics: { drop: lean } }, 'drop.yaml', {}).metrics.drop, lean);
  assert.deepEqual(loadConfig({}, 'drop.yaml', {}).metrics.drop, []);
  const [typo] = problemsOf(['tcpping_rtt_second_bucket']);
  assert.match(
    typo ?? '',
    /metrics\.drop.*"tcpping_rtt_second_bucket" is not a per-target series \(did you mean "tcpping_rtt_seconds_bucket"\?\)/,
  );
  assert.match(problemsOf(['tcpping_target_up', 'tcpping_target_up'])[0] ?? '', /"tcpping_target_up" is listed twice/);
  // Service-wide series are few and feed the health alerts: not droppable.
  assert.match(problemsOf(['tcpping_scheduler_lag_seconds'])[0] ?? '', /is not a per-target series/);
  assert.match(problemsOf('tcpping_target_up')[0] ?? '', /must be a list/);
});

test('text: dropped families are gone, histograms without classic buckets keep +Inf, _sum and _count', async () => {
  const m = parseExposition((await filled(lean).render('text')).toString());
  assert.deepEqual(
    [...m.types.keys()],
    targetFamilyNames.filter((n) => n !== 'tcpping_round_rtt_mdev_seconds'),
  );
  const buckets = m.samples.filter((s) => s.name === 'tcpping_rtt_seconds_bucket');
  assert.deepEqual(
    buckets.map((s) => [s.labels.target, s.labels.le, s.value]),
    [
      ['a', '+Inf', 2],
      ['b', '+Inf', 0],
    ],
  );
  assert.equal(m.value('tcpping_rtt_seconds_count', { target: 'a' }), 2);
  assert.ok(Math.abs(m.value('tcpping_rtt_seconds_sum', { target: 'a' }) - 0.004) < 1e-12);
  assert.equal(m.value('tcpping_connect_seconds_bucket', { target: 'a', le: '+Inf' }), 2);
  assert.equal(m.samples.filter((s) => s.name === 'tcpping_connect_seconds_bucket').length, 2);
  // Per target: 1 sent, 5 lost (the reasons a connect-mode target at an IP address can give), 2 × 3
  // histogram lines, 13 more (mdev dropped; no ICMP error or trace seen).
  assert.equal(m.samples.length, 2 * 25);
});

test('protobuf: no classic buckets, native buckets and count/sum kept; dropped families absent', async () => {
  const families = readMetricFamilies(await filled(lean).render('protobuf'));
  assert.ok(!families.some((f) => f.name === 'tcpping_round_rtt_mdev_seconds'));
  for (const name of ['tcpping_rtt_seconds', 'tcpping_connect_seconds']) {
    const h = families.find((f) => f.name === name)?.metrics[0]?.histogram;
    assert.ok(h, name);
    assert.deepEqual(h.buckets, []);
    assert.equal(h.sampleCount, 2);
    assert.ok(h.positiveSpans.length > 0, `${name} keeps its native buckets`);
  }
});

test('setDrop: applied from the next scrape, and a family served again shows its counts whole', async () => {
  const series = filled(['tcpping_pings_sent_total', 'tcpping_rtt_seconds_bucket']);
  let m = parseExposition((await series.render('text')).toString());
  assert.ok(!m.types.has('tcpping_pings_sent_total'));
  series.sent('a');
  series.setDrop([]);
  m = parseExposition((await series.render('text')).toString());
  assert.equal(m.value('tcpping_pings_sent_total', { target: 'a' }), 3);
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'a', le: '0.001' }), 1);
});
