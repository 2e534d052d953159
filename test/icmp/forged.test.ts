import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { finished, lab4, lab6, labSkipReason, suiteLab } from '../helpers/netns.js';
import { icmpSeries, scrapeUntil, unverifiedSeries, value, writeConfig } from './lab.js';

const skip = labSkipReason();
const FIRST_PORT = 40000;
const LAST_PORT = 40299;
// The healthy targets wait 2 s for an answer: on a busy machine (the forger's flood, the echo
// server, the service parsing each copy, on 2 cores) an echo can really take over 300 ms, a true
// timeout that is not what this test is about; the silent ones keep the short default.
const targets = [
  { name: 'healthy', address: `${lab4.server}:9000`, timeoutMs: 2000 },
  { name: 'healthy-echo', address: `${lab4.server}:9000`, mode: 'echo', timeoutMs: 2000 },
  { name: 'healthy6-echo', address: `[${lab6.server}]:9000`, mode: 'echo', timeoutMs: 2000 },
  { name: 'silent', address: `${lab4.blackhole}:11000` },
  { name: 'silent6', address: `[${lab6.blackhole}]:11000` },
];

/** TcpExt OutOfWindowIcmps of a namespace: ICMP errors the kernel dropped for quoting a sequence number out of the window. */
function outOfWindow(netstat: string): number {
  const lines = netstat.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('OutOfWindowIcmps')] ?? Number.NaN);
}

/**
 * An off-path attacker on the router forges "administratively prohibited" errors for every source
 * port the client may use, towards healthy targets and silent ones, with capture on. The kernel
 * drops them (their sequence numbers are guesses) and so must tcpping: no verdict changes, no
 * error explains a loss, and every forged copy that quoted a ping in flight is counted apart.
 */
describe('forged ICMP errors', { skip }, () => {
  const { lab, cleanups } = suiteLab('forged');
  before(async () => {
    lab.exec(lab.client, ['sysctl', '-q', '-w', `net.ipv4.ip_local_port_range=${FIRST_PORT} ${LAST_PORT}`]);
    const server = lab.spawn(lab.server, ['python3', 'test/fixtures/echo_ports.py', '9000']);
    await new Promise((resolve) => server.stdout?.once('data', resolve));
  });

  /** `workers`: the pings run on that many worker threads, fed the packets the main thread's raw sockets read. */
  const noVerdictChanged = (workers: number) => async () => {
    const config = writeConfig('on', 11004, targets, { timeoutMs: 300, pingIntervalMs: 50, intervalMs: 1000, count: 10 }, [
      `scheduler: { workers: ${workers} }`,
    ]);
    cleanups.push(config.remove);
    const before = outOfWindow(lab.exec(lab.client, ['cat', '/proc/net/netstat']));
    const service = lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config.file]);
    const output = finished(service, 40_000);
    await scrapeUntil(lab, lab.client, 11004, (s) => value(s, 'tcpping_pings_sent_total', { target: 'silent' }) >= 1);
    const destinations = [`${lab4.server}:9000`, `${lab4.blackhole}:11000`, `[${lab6.server}]:9000`, `[${lab6.blackhole}]:11000`];
    const args = ['test/fixtures/forge_icmp.py', lab4.client, lab6.client, String(FIRST_PORT), String(LAST_PORT), '5', ...destinations];
    const forger = await finished(lab.spawn(lab.router, ['python3', ...args]), 20_000);
    const samples = await scrapeUntil(lab, lab.client, 11004, () => true);
    service.kill('SIGTERM');
    const { stdout, stderr } = await output;
    const forged = Number(/^total (\d+)$/m.exec(forger.stdout)?.[1] ?? 0);
    assert.ok(forged >= 10_000, `the forger sent only ${forged} errors: ${forger.stderr}`);
    assert.ok(samples.length > 0, `no metrics:\n${stdout}${stderr}`);
    const losses = (t: string) => samples.filter((s) => s.name === 'tcpping_pings_lost_total' && s.labels.target === t && s.value > 0);
    const lost = (t: string) => losses(t).reduce((n, s) => n + s.value, 0);
    for (const t of targets) {
      assert.deepEqual(icmpSeries(samples, t.name), [], `${t.name}: no forged error explains anything`);
      const sent = value(samples, 'tcpping_pings_sent_total', { target: t.name });
      assert.ok(sent >= 10, `${t.name}: only ${sent} pings`);
      const why = losses(t.name).map((s) => `${s.labels.reason}=${s.value}`);
      if (t.name.startsWith('healthy')) assert.equal(lost(t.name), 0, `${t.name}: no ping lost (${why.join(', ')})`);
      else
        assert.equal(
          value(samples, 'tcpping_pings_lost_total', { target: t.name, reason: 'timeout' }),
          lost(t.name),
          `${t.name}: all timeouts`,
        );
    }
    // The copies that quoted a ping in flight were seen, and counted apart.
    for (const [t, series] of [
      ['silent', '4/3/13 unconfirmed'],
      ['silent6', '6/1/1 unconfirmed'],
    ] as const) {
      assert.ok(unverifiedSeries(samples, t).includes(series), `${t}: ${unverifiedSeries(samples, t).join(', ')}`);
    }
    const dropped = outOfWindow(lab.exec(lab.client, ['cat', '/proc/net/netstat'])) - before;
    console.log(
      `forged: ${forged} sent, ${dropped} dropped by the kernel as out of window, unverified: ${samples
        .filter((s) => s.name === 'tcpping_icmp_errors_unverified_total')
        .map((s) => `${s.labels.target} ${s.labels.icmp_version}/${s.labels.icmp_type}/${s.labels.icmp_code} ${s.labels.reason}=${s.value}`)
        .join(', ')}`,
    );
    assert.ok(dropped > 0, 'the kernel itself saw the forged errors and dropped them');
  };

  test('errors forged for every source port change no verdict', { timeout: 60_000 }, noVerdictChanged(0));
  test('nor with the pings on worker threads, the packets relayed to them', { timeout: 60_000 }, noVerdictChanged(2));
});
