import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PathTrace } from '../../src/domain/path.js';
import { DEFAULT_RTT_BUCKETS_SECONDS } from '../../src/domain/rtt-buckets.js';
import { bucketIndex } from '../../src/metrics/native-buckets.js';
import { targetFamilyNames } from '../../src/metrics/target-families.js';
import { TargetSeries } from '../../src/metrics/target-series.js';
import { parseExposition } from '../helpers/exposition.js';
import { nativeCounts, readMetricFamilies } from '../helpers/protobuf.js';

const round = { sent: 4, received: 3, lossRatio: 0.25, rtt: { min: 0.001, avg: 0.002, max: 0.003, mdev: 0.0005 } };
const hop = (n: number, address: string | null) => ({
  hop: n,
  address,
  addresses: address ? [address] : [],
  sent: 3,
  received: address ? 3 : 0,
  rtt: address ? { min: 0.001, avg: 0.001, max: 0.001 } : null,
  answer: address ? ('time-exceeded' as const) : null,
});
/** Answers stop at hop 3 (10.0.3.1); hops 4 and 5 silent. */
const traced: PathTrace = {
  address: '10.0.9.9',
  port: 443,
  family: 4,
  sourcePort: 2000,
  hops: [hop(1, '10.0.1.1'), hop(2, '10.0.2.1'), hop(3, '10.0.3.1'), hop(4, null), hop(5, null)],
  end: 'silence',
  startedAt: 1_700_000_000,
  durationSeconds: 1,
};

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
  const m = parseExposition((await series.render()).toString());
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
  const text = (await series.render()).toString();
  assert.match(text, /^tcpping_round_rtt_avg_seconds\{target="a"\} NaN$/m);
  assert.match(text, /^tcpping_target_up\{target="a"\} 0$/m);
});

test('path series: traces and changes counted, the hop where answers stop as a number and as one info series', async () => {
  const series = new TargetSeries();
  series.add({ name: 'a', address: '10.0.9.9:443', mode: 'connect' });
  let m = parseExposition((await series.render()).toString());
  for (const name of ['tcpping_path_traces_total', 'tcpping_path_changes_total', 'tcpping_path_hops']) {
    assert.equal(m.value(name, { target: 'a' }), 0, `${name} exists at 0 before the first trace`);
  }
  assert.equal(m.samples.filter((s) => s.name === 'tcpping_path_last_hop_info').length, 0);
  series.path('a', { trace: traced, trigger: 'loss', changedHops: null });
  series.path('a', { trace: traced, trigger: 'periodic', changedHops: [] });
  const reached: PathTrace = {
    ...traced,
    hops: [...traced.hops.slice(0, 3), { ...hop(4, '10.0.9.9'), answer: 'syn-ack' }],
    end: 'syn-ack',
  };
  series.path('a', { trace: reached, trigger: 'recovery', changedHops: [3] });
  series.path('a', { trace: { ...traced, hops: [], end: 'error', error: 'EADDRINUSE' }, trigger: 'periodic', changedHops: null });
  m = parseExposition((await series.render()).toString());
  assert.equal(m.value('tcpping_path_traces_total', { target: 'a' }), 4);
  assert.equal(m.value('tcpping_path_changes_total', { target: 'a' }), 1);
  assert.equal(m.value('tcpping_path_hops', { target: 'a' }), 4, 'a trace that could not be sent leaves the last figures');
  const info = m.samples.filter((s) => s.name === 'tcpping_path_last_hop_info');
  assert.deepEqual(
    info.map((s) => [s.labels, s.value]),
    [[{ target: 'a', hop: '4', address: '10.0.9.9', answer: 'syn-ack' }, 1]],
  );
  series.path('a', { trace: traced, trigger: 'loss', changedHops: [] });
  m = parseExposition((await series.render()).toString());
  assert.deepEqual(
    m.samples.filter((s) => s.name === 'tcpping_path_last_hop_info').map((s) => s.labels),
    [{ target: 'a', hop: '3', address: '10.0.3.1', answer: 'time-exceeded' }],
    'one series per target: the old one goes',
  );
  assert.equal(m.value('tcpping_path_hops', { target: 'a' }), 3);
});

test('label values are escaped; metadata updates and removal take effect', async () => {
  const series = new TargetSeries();
  const name = 'we"ird\\name\nx';
  series.add({ name, address: 'h:1', mode: 'echo' });
  const m = parseExposition((await series.render()).toString());
  assert.equal(m.value('tcpping_pings_sent_total', { target: name }), 0);
  series.update({ name, address: 'h:2', mode: 'connect' });
  assert.ok(
    parseExposition((await series.render()).toString()).has('tcpping_target_info', { target: name, address: 'h:2', mode: 'connect' }),
  );
  // Labels alone, after both formats kept the old ones: each format serves the new ones.
  await series.render('protobuf');
  series.update({ name, address: 'h:2', mode: 'connect', labels: { team: 'net' } });
  assert.ok(parseExposition((await series.render()).toString()).has('tcpping_target_info', { target: name, team: 'net' }));
  const info = readMetricFamilies(await series.render('protobuf')).find((f) => f.name === 'tcpping_target_info');
  assert.ok(
    info?.metrics[0]?.labels.some((l) => l.name === 'team' && l.value === 'net'),
    JSON.stringify(info?.metrics[0]?.labels),
  );
  series.remove(name);
  assert.equal(parseExposition((await series.render()).toString()).samples.length, 0);
});

test('the loss reasons served are those a target can give; one that counts anyway is served from then on, in both formats', async () => {
  const series = new TargetSeries();
  series.add({ name: 'echo-name', address: 'db.example:5432', mode: 'echo' });
  series.add({ name: 'echo-ip', address: '[::1]:11000', mode: 'echo' });
  series.add({ name: 'connect-name', address: 'db.example:5432', mode: 'connect' });
  series.add({ name: 'connect-ip', address: '10.0.0.1:443', mode: 'connect' });
  // An IPv4 address where IPv6 is asked for: the round loses each ping as dns, so dns is served.
  series.add({ name: 'connect-ip-other-family', address: '10.0.0.1:443', mode: 'connect', family: 'ipv6' });
  const reasons = async (target: string) => {
    const text = parseExposition((await series.render()).toString())
      .samples.filter((s) => s.name === 'tcpping_pings_lost_total' && s.labels.target === target)
      .map((s) => `${s.labels.reason}=${s.value}`);
    const proto = readMetricFamilies(await series.render('protobuf'))
      .find((f) => f.name === 'tcpping_pings_lost_total')
      ?.metrics.filter((m) => m.labels.some((l) => l.name === 'target' && l.value === target))
      .map((m) => `${m.labels.find((l) => l.name === 'reason')?.value}=${m.counter ?? 0}`);
    assert.deepEqual(proto, text, `${target}: protobuf and text differ`);
    return text.join(' ');
  };
  assert.equal(await reasons('echo-name'), 'timeout=0 refused=0 reset=0 closed=0 unreachable=0 mismatch=0 dns=0 error=0');
  assert.equal(await reasons('echo-ip'), 'timeout=0 refused=0 reset=0 closed=0 unreachable=0 mismatch=0 error=0');
  assert.equal(await reasons('connect-name'), 'timeout=0 refused=0 reset=0 unreachable=0 dns=0 error=0');
  assert.equal(await reasons('connect-ip'), 'timeout=0 refused=0 reset=0 unreachable=0 error=0');
  assert.equal(await reasons('connect-ip-other-family'), 'timeout=0 refused=0 reset=0 unreachable=0 dns=0 error=0');
  // Not expected of a connect-mode target, but counted all the same: nothing counted is hidden.
  series.ping('connect-ip', { ok: false, error: { seq: 1, reason: 'closed', detail: 'x' } });
  assert.equal(await reasons('connect-ip'), 'timeout=0 refused=0 reset=0 closed=1 unreachable=0 error=0');
  // A reload that makes an echo target a connect one keeps a reason that has counted (a counter never vanishes while its target stays).
  series.ping('echo-name', { ok: false, error: { seq: 1, reason: 'mismatch', detail: 'x' } });
  series.update({ name: 'echo-name', address: '127.0.0.1:5432', mode: 'connect' });
  assert.equal(await reasons('echo-name'), 'timeout=0 refused=0 reset=0 unreachable=0 mismatch=1 error=0');
});

test('1,000 targets render to 103,000 parseable lines with the default buckets (2 × 40 for the histograms)', async () => {
  const series = new TargetSeries();
  for (let i = 0; i < 1000; i++) series.add({ name: `t${i}`, address: `h${i}:1`, mode: 'echo' });
  const m = parseExposition((await series.render()).toString());
  assert.equal(m.samples.length, 1000 * 103);
});

/** The value of the text sample with this name and exactly these labels. */
function textValue(m: ReturnType<typeof parseExposition>, name: string, labels: readonly { name: string; value: string }[]) {
  const same = (s: (typeof m.samples)[number]) =>
    s.name === name && Object.keys(s.labels).length === labels.length && labels.every((l) => s.labels[l.name] === l.value);
  return m.samples.find(same)?.value;
}

test('text and protobuf carry the same series and numbers; native buckets only in protobuf, and only when switched on', async () => {
  const series = new TargetSeries();
  series.add({ name: 'a', address: '127.0.0.1:1', mode: 'echo', labels: { site: 'Zürich "A"\\n' } });
  series.add({ name: 'b', address: '[::1]:2', mode: 'connect' });
  const rtts = [0.0003, 0.03, 0.0301, 0.031, 0.2, 7];
  for (const [seq, rttSeconds] of rtts.entries())
    series.ping('a', { ok: true, value: { seq, rttSeconds, connectSeconds: rttSeconds / 2 } });
  series.ping('a', {
    ok: false,
    error: { seq: 9, reason: 'unreachable', detail: 'x', icmp: { family: 4, type: 3, code: 1, reporter: '10.0.0.1' } },
  });
  series.icmpUnverified('a', { family: 6, type: 1, code: 1, reporter: 'fd00::1' }, 'late');
  series.round('a', round);
  series.round('b', { sent: 1, received: 0, lossRatio: 1, rtt: { min: null, avg: null, max: null, mdev: null } });
  series.path('a', { trace: traced, trigger: 'loss', changedHops: [2] });

  const text = parseExposition((await series.render('text')).toString());
  const families = readMetricFamilies(await series.render('protobuf'));
  assert.deepEqual(
    families.map((f) => f.name),
    targetFamilyNames,
  );
  let compared = 0;
  for (const f of families) {
    for (const metric of f.metrics) {
      const h = metric.histogram;
      if (!h) {
        const expected = textValue(text, f.name, metric.labels);
        assert.deepEqual(metric.counter ?? metric.gauge, expected, `${f.name} ${JSON.stringify(metric.labels)}`);
        compared++;
        continue;
      }
      assert.equal(h.sampleCount, textValue(text, `${f.name}_count`, metric.labels));
      assert.equal(h.sampleSum, textValue(text, `${f.name}_sum`, metric.labels));
      for (const b of h.buckets) {
        assert.equal(
          b.cumulativeCount,
          textValue(text, `${f.name}_bucket`, [...metric.labels, { name: 'le', value: String(b.upperBound) }]),
        );
      }
      assert.equal(h.buckets.length, DEFAULT_RTT_BUCKETS_SECONDS.length);
      assert.equal(h.schema, 4);
      compared++;
    }
  }
  // Every text line was compared: a histogram is one protobuf metric and 40 lines of text.
  assert.equal(compared, text.samples.length - 2 * 2 * (DEFAULT_RTT_BUCKETS_SECONDS.length + 2));

  const rtt = families.find((f) => f.name === 'tcpping_rtt_seconds')?.metrics[0]?.histogram ?? assert.fail('no RTT histogram');
  const expected = new Map<number, number>();
  for (const v of rtts) expected.set(bucketIndex(v, 4), (expected.get(bucketIndex(v, 4)) ?? 0) + 1);
  assert.deepEqual(nativeCounts(rtt), expected);

  series.nativeHistograms = false;
  const classicOnly = readMetricFamilies(await series.render('protobuf'));
  for (const f of classicOnly.filter((family) => family.type === 4)) {
    for (const m of f.metrics) assert.deepEqual([m.histogram?.schema, m.histogram?.positiveSpans], [0, []], f.name);
  }
});

test('a configured bucket layout is what both formats carry', async () => {
  const series = new TargetSeries({ rttBucketsSeconds: [0.001, 0.01] });
  series.add({ name: 'a', address: 'h:1', mode: 'echo' });
  series.ping('a', { ok: true, value: { seq: 1, rttSeconds: 0.005 } });
  const text = parseExposition((await series.render('text')).toString());
  assert.deepEqual(
    text.samples.filter((s) => s.name === 'tcpping_rtt_seconds_bucket').map((s) => [s.labels.le, s.value]),
    [
      ['0.001', 0],
      ['0.01', 1],
      ['+Inf', 1],
    ],
  );
  const h = readMetricFamilies(await series.render('protobuf')).find((f) => f.name === 'tcpping_rtt_seconds')?.metrics[0]?.histogram;
  assert.deepEqual(
    h?.buckets.map((b) => b.upperBound),
    [0.001, 0.01],
  );
});

test('a scrape lets the event loop turn about every 32 KiB it writes, in both formats', async () => {
  const series = new TargetSeries();
  for (let i = 0; i < 600; i++) {
    series.add({ name: `t${i}`, address: `h${i}:1`, mode: 'echo' });
    for (let n = 1; n <= 20; n++) series.ping(`t${i}`, { ok: true, value: { seq: n, rttSeconds: 0.001 * n * (1 + i / 500) } });
  }
  for (const format of ['text', 'protobuf'] as const) {
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const body = await series.render(format);
    running = false;
    // Every full 32 KiB inside a family is followed by a turn; a family's last part may not be.
    const atLeast = Math.floor(body.length / (32 * 1024)) - targetFamilyNames.length;
    assert.ok(turns >= atLeast && atLeast >= 5, `${format}: ${turns} turns for ${body.length} bytes`);
  }
});

test('targets share zero counts until their first ping and loss: one target counting never shows in another, in either format', async () => {
  const series = new TargetSeries();
  for (const name of ['busy', 'quiet', 'late']) series.add({ name, address: '127.0.0.1:1', mode: 'echo' });
  for (let seq = 0; seq < 5; seq++) series.ping('busy', { ok: true, value: { seq, rttSeconds: 0.002 * (seq + 1), connectSeconds: 0.001 } });
  series.ping('busy', { ok: false, error: { seq: 5, reason: 'timeout', detail: 'x' } });
  series.round('busy', round);
  series.round('busy', { sent: 2, received: 1, lossRatio: 0.5, rtt: { min: 0.004, avg: 0.004, max: 0.004, mdev: 0 } });
  // A target whose first ping comes after the others' counted starts from zero too.
  series.ping('late', { ok: true, value: { seq: 0, rttSeconds: 0.3 } });

  const text = parseExposition((await series.render('text')).toString());
  const at = (name: string, target: string, extra: Record<string, string> = {}) => text.value(name, { target, ...extra });
  for (const le of ['0.0025', '0.01', '+Inf']) {
    assert.equal(at('tcpping_rtt_seconds_bucket', 'quiet', { le }), 0, `quiet le=${le}`);
    assert.equal(at('tcpping_connect_seconds_bucket', 'late', { le }), 0, `late connect le=${le}`);
  }
  assert.equal(at('tcpping_rtt_seconds_bucket', 'busy', { le: '0.0025' }), 1);
  assert.equal(at('tcpping_rtt_seconds_bucket', 'busy', { le: '+Inf' }), 5);
  assert.equal(at('tcpping_rtt_seconds_bucket', 'late', { le: '0.25' }), 0);
  assert.equal(at('tcpping_rtt_seconds_bucket', 'late', { le: '0.5' }), 1);
  assert.equal(at('tcpping_pings_lost_total', 'busy', { reason: 'timeout' }), 1);
  assert.equal(at('tcpping_pings_lost_total', 'quiet', { reason: 'timeout' }), 0);
  assert.equal(at('tcpping_pings_lost_total', 'late', { reason: 'timeout' }), 0);
  // The round's figures are the last round's (kept in place, round after round), the others' still 0.
  assert.equal(at('tcpping_round_rtt_max_seconds', 'busy'), 0.004);
  assert.equal(at('tcpping_round_loss_ratio', 'busy'), 0.5);
  assert.equal(at('tcpping_round_rtt_max_seconds', 'quiet'), 0);

  const families = readMetricFamilies(await series.render('protobuf'));
  const rtt = (target: string) =>
    families.find((f) => f.name === 'tcpping_rtt_seconds')?.metrics.find((m) => m.labels.some((l) => l.value === target))?.histogram ??
    assert.fail(`no RTT histogram of ${target}`);
  assert.deepEqual(
    [
      rtt('quiet').sampleCount,
      nativeCounts(rtt('quiet')).size,
      rtt('quiet')
        .buckets.map((b) => b.cumulativeCount)
        .at(-1),
    ],
    [0, 0, 0],
  );
  assert.deepEqual(nativeCounts(rtt('late')), new Map([[bucketIndex(0.3, 4), 1]]));
  assert.equal(nativeCounts(rtt('busy')).size, 5);
});
