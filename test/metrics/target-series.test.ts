import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TargetSeries, targetFamilyNames } from '../../src/metrics/target-series.js';
import { parseExposition } from '../helpers/exposition.js';

const round = { sent: 4, received: 3, lossRatio: 0.25, rtt: { min: 0.001, avg: 0.002, max: 0.003, mdev: 0.0005 } };

test('per-target families: HELP/TYPE once each, values as recorded, histograms cumulative', async () => {
  const series = new TargetSeries();
  series.add({ name: 'a', address: '127.0.0.1:1', mode: 'echo', labels: { team: 'net' } });
  for (let i = 0; i < 4; i++) series.sent('a');
  series.ping('a', { ok: true, value: { seq: 1, rttSeconds: 0.0003, connectSeconds: 0.0002 } });
  series.ping('a', { ok: true, value: { seq: 2, rttSeconds: 0.02, connectSeconds: 2.01, synRetransmits: 2, stalledSeconds: 0.3 } });
  series.ping('a', { ok: true, value: { seq: 3, rttSeconds: 20 } });
  series.ping('a', {
    ok: false,
    error: { seq: 4, reason: 'unreachable', detail: 'x', icmp: { family: 6, type: 1, code: 3, reporter: 'fd00::1' }, synRetransmits: 1 },
  });
  series.icmpUnverified('a', { family: 4, type: 3, code: 13, reporter: '10.0.0.1' }, 'unconfirmed');
  series.icmpUnverified('a', { family: 4, type: 3, code: 13, reporter: '10.0.0.1' }, 'unconfirmed');
  series.icmpUnverified('a', { family: 4, type: 3, code: 13, reporter: '10.0.0.1' }, 'late');
  series.round('a', round);
  const m = parseExposition(await series.render());
  assert.deepEqual([...m.types.keys()], targetFamilyNames);
  assert.equal(m.value('tcpping_pings_sent_total', { target: 'a' }), 4);
  assert.equal(m.value('tcpping_pings_lost_total', { target: 'a', reason: 'unreachable' }), 1);
  assert.equal(m.value('tcpping_pings_lost_total', { target: 'a', reason: 'timeout' }), 0);
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'a', le: '0.0005' }), 1);
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'a', le: '0.025' }), 2);
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'a', le: '10' }), 2);
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'a', le: '+Inf' }), 3);
  assert.equal(m.value('tcpping_rtt_seconds_count', { target: 'a' }), 3);
  assert.ok(Math.abs(m.value('tcpping_rtt_seconds_sum', { target: 'a' }) - 20.0203) < 1e-9);
  // Every SYN the kernel retransmitted, whether the handshake then completed or not.
  assert.equal(m.value('tcpping_connect_retransmits_total', { target: 'a' }), 3);
  assert.equal(m.value('tcpping_pings_stalled_total', { target: 'a' }), 1);
  assert.equal(m.value('tcpping_icmp_errors_total', { target: 'a', icmp_version: '6', icmp_type: '1', icmp_code: '3' }), 1);
  const unverified = { target: 'a', icmp_version: '4', icmp_type: '3', icmp_code: '13' };
  assert.equal(m.value('tcpping_icmp_errors_unverified_total', { ...unverified, reason: 'unconfirmed' }), 2);
  assert.equal(m.value('tcpping_icmp_errors_unverified_total', { ...unverified, reason: 'late' }), 1);
  assert.ok(!m.has('tcpping_icmp_errors_total', { target: 'a', icmp_version: '4' }), 'unverified errors are counted apart');
  assert.equal(m.value('tcpping_round_loss_ratio', { target: 'a' }), 0.25);
  assert.equal(m.value('tcpping_round_rtt_mdev_seconds', { target: 'a' }), 0.0005);
  assert.equal(m.value('tcpping_target_up', { target: 'a' }), 1);
  assert.ok(m.has('tcpping_target_info', { target: 'a', address: '127.0.0.1:1', mode: 'echo', team: 'net' }));
});

test('a round with no reply exports NaN RTT gauges and target_up 0', async () => {
  const series = new TargetSeries();
  series.add({ name: 'a', address: 'x:1', mode: 'connect' });
  series.round('a', { sent: 2, received: 0, lossRatio: 1, rtt: { min: null, avg: null, max: null, mdev: null } });
  const text = await series.render();
  assert.match(text, /^tcpping_round_rtt_avg_seconds\{target="a"\} NaN$/m);
  assert.match(text, /^tcpping_target_up\{target="a"\} 0$/m);
});

test('label values are escaped; metadata updates and removal take effect', async () => {
  const series = new TargetSeries();
  const name = 'we"ird\\name\nx';
  series.add({ name, address: 'h:1', mode: 'echo' });
  const m = parseExposition(await series.render());
  assert.equal(m.value('tcpping_pings_sent_total', { target: name }), 0);
  series.update({ name, address: 'h:2', mode: 'connect' });
  assert.ok(parseExposition(await series.render()).has('tcpping_target_info', { target: name, address: 'h:2', mode: 'connect' }));
  series.remove(name);
  assert.equal(parseExposition(await series.render()).samples.length, 0);
});

test('1,000 targets render to about 58,000 parseable lines', async () => {
  const series = new TargetSeries();
  for (let i = 0; i < 1000; i++) series.add({ name: `t${i}`, address: `h${i}:1`, mode: 'echo' });
  const m = parseExposition(await series.render());
  assert.equal(m.samples.length, 1000 * 58);
});
