import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finished, lab4, labSkipReason, suiteLab } from '../helpers/netns.js';
import { icmpSeries, scrapeUntil, value, writeConfig } from './lab.js';

const skip = labSkipReason();
/** An ordinary user with no capabilities at all: what a service gets without CAP_NET_RAW. */
const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];
const targets = [
  { name: 'host-unreachable', address: `${lab4.hostUnreachable}:11000` },
  { name: 'blackhole', address: `${lab4.blackhole}:11000` },
];

describe('without CAP_NET_RAW', { skip }, () => {
  const { lab, cleanups } = suiteLab('unpriv');

  test('auto: the service warns once, reports capture disabled and keeps pinging', { timeout: 40_000 }, async () => {
    const config = writeConfig('auto', 11002, targets);
    cleanups.push(config.remove);
    const service = lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config.file], nobody);
    const output = finished(service, 40_000);
    const samples = await scrapeUntil(lab, lab.client, 11002, (s) =>
      targets.every(
        (t) => value(s, 'tcpping_pings_lost_total', { target: t.name, reason: t.name === 'blackhole' ? 'timeout' : 'unreachable' }) >= 1,
      ),
    );
    service.kill('SIGTERM');
    const { stdout, stderr } = await output;
    assert.equal(value(samples, 'tcpping_icmp_capture_enabled', {}), 0, stdout + stderr);
    // The kernel's errno still says why: EHOSTUNREACH → unreachable, only the ICMP detail is missing.
    assert.ok(value(samples, 'tcpping_pings_lost_total', { target: 'host-unreachable', reason: 'unreachable' }) >= 1);
    assert.ok(value(samples, 'tcpping_pings_lost_total', { target: 'blackhole', reason: 'timeout' }) >= 1);
    for (const t of targets) assert.deepEqual(icmpSeries(samples, t.name), []);
    const warnings = stdout.split('\n').filter((l) => l.includes('ICMP capture disabled'));
    assert.equal(warnings.length, 1, stdout);
    assert.match(warnings[0] ?? '', /no permission to open raw sockets \(needs CAP_NET_RAW\).*AmbientCapabilities=CAP_NET_RAW/);
  });

  test('on: the service refuses to start and says how to grant the capability', { timeout: 30_000 }, async () => {
    const config = writeConfig('on', 11003, targets);
    cleanups.push(config.remove);
    const { code, stdout } = await finished(lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config.file], nobody), 30_000);
    assert.equal(code, 2);
    // A start-up error is a log line like any other (JSON here), not plain text on stderr.
    const fatal = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((r) => r.level === 60);
    assert.equal(fatal.length, 1, stdout);
    assert.match(fatal[0]?.msg ?? '', /icmp\.capture is "on", but no permission to open raw sockets \(needs CAP_NET_RAW\)/);
    assert.match(fatal[0]?.msg ?? '', /AmbientCapabilities=CAP_NET_RAW/);
    assert.match(fatal[0]?.msg ?? '', /setcap cap_net_raw\+ep/);
  });

  test('the client says capture is unavailable and still pings', { timeout: 30_000 }, async () => {
    const args = ['src/cli/bin.ts', 'client', `${lab4.hostUnreachable}:11000`, '-c', '2', '-i', '0.2', '-W', '1', '--mode', 'connect'];
    const { code, stdout, stderr } = await finished(lab.node(lab.client, args, nobody), 30_000);
    assert.equal(code, 1);
    // One line about it, with the flag that turns capture off; nothing under each ping.
    assert.deepEqual(stderr.trimEnd().split('\n'), [
      'tcpping client: ICMP capture off: no permission to open raw sockets (needs CAP_NET_RAW); pinging without it (--no-icmp: no notice)',
    ]);
    assert.match(stdout, /seq=1 destination unreachable: EHOSTUNREACH/);
    assert.doesNotMatch(stdout, /ICMP capture/);
    assert.match(stdout, /2 pings transmitted, 0 received/);
  });
});
