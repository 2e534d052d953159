import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finished, lab4, lab6, labSkipReason, suiteLab } from '../helpers/netns.js';
import { icmpSeries, scrapeUntil, unverifiedSeries, value, writeConfig } from './lab.js';

const skip = labSkipReason();
const targets = [
  { name: 'late4', address: `${lab4.lateError}:11000` },
  { name: 'late6', address: `[${lab6.lateError}]:11000` },
];

/**
 * ICMP errors that come after their ping ended travel the same road as every other result: a
 * router that answers each SYN with an error 400 ms later, behind pings that time out at 100 ms.
 * The router's own count of the errors it put on the wire is the record the metrics must match:
 * every one counted apart as late, none explaining a loss after the fact. The service also traces
 * each target's path when its pings begin to be lost: the errors for those SYNs (from the trace's
 * own source port, outside the pings' range) belong to the trace and must not be counted as pings'.
 */
describe('late ICMP errors', { skip }, () => {
  const { lab, cleanups } = suiteLab('late');

  /** `workers`: the pings run on that many worker threads, fed the packets the main thread's raw sockets read. */
  const eachErrorCounted = (workers: number) => async () => {
    const routers = [lab4.lateError, lab6.lateError].map((dest) =>
      finished(lab.spawn(lab.router, ['python3', 'test/fixtures/slow_router.py', 'r0', dest, '0.4', '6']), 20_000),
    );
    const config = writeConfig('on', 11003, targets, { timeoutMs: 100, pingIntervalMs: 100, intervalMs: 1000 }, [
      `scheduler: { workers: ${workers} }`,
    ]);
    cleanups.push(config.remove);
    const service = lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config.file]);
    const output = finished(service, 40_000);
    const [v4, v6] = await Promise.all(routers);
    const total = [v4, v6].map((r) => Number(/^total (\d+)$/m.exec(r?.stdout ?? '')?.[1] ?? Number.NaN));
    // Source port of every error the routers sent.
    const ports = [v4, v6].map((r) => [...(r?.stdout ?? '').matchAll(/^sent \S+ (\d+)$/gm)].map((m) => Number(m[1])));
    // The router has stopped: everything it sent is on its way or in; the last errors came 400 ms after their SYN.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const samples = await scrapeUntil(lab, lab.client, 11003, () => true);
    const api = JSON.parse(lab.exec(lab.client, ['curl', '-sf', '--max-time', '2', 'http://127.0.0.1:11003/api/v1/targets'])) as {
      data: { name: string; path: { sourcePort: number } | null }[];
    };
    service.kill('SIGTERM');
    const { stdout, stderr } = await output;
    assert.ok(samples.length > 0, `no metrics; service said:\n${stdout}${stderr}`);
    for (const [i, target] of targets.entries()) {
      const sent = ports[i] ?? [];
      assert.equal(sent.length, total[i], `${target.name}: one line per error sent`);
      const tracePort = api.data.find((t) => t.name === target.name)?.path?.sourcePort;
      assert.ok(tracePort, `${target.name}: its loss started a path trace`);
      const traced = sent.filter((port) => port === tracePort).length;
      const wire = sent.length - traced;
      assert.ok(traced > 0, `${target.name}: the trace's SYNs reached the router and were answered`);
      assert.ok(wire >= 5, `${target.name}: the router sent only ${wire} errors for pings\n${[v4, v6][i]?.stderr}`);
      const series = target.name === 'late4' ? '4/3/13' : '6/1/1';
      assert.deepEqual(unverifiedSeries(samples, target.name), [`${series} late`], `${target.name}: ICMP series counted apart`);
      const late = value(samples, 'tcpping_icmp_errors_unverified_total', { target: target.name, reason: 'late' });
      assert.equal(late, wire, `${target.name}: counted vs on the wire`);
      assert.deepEqual(icmpSeries(samples, target.name), [], `${target.name}: no late error explains a loss`);
      // Late errors explain nothing after the fact: every ping stays a timeout (one may still be in flight).
      assert.equal(value(samples, 'tcpping_pings_lost_total', { target: target.name, reason: 'unreachable' }), 0);
      const pings = value(samples, 'tcpping_pings_sent_total', { target: target.name });
      const timeouts = value(samples, 'tcpping_pings_lost_total', { target: target.name, reason: 'timeout' });
      assert.ok(timeouts >= pings - 1 && timeouts >= wire, `${target.name}: ${timeouts} timeouts of ${pings} pings`);
    }
  };

  test('each error is counted for its target, once, and changes no verdict', { timeout: 60_000 }, eachErrorCounted(0));
  test('so it is with the pings on worker threads, the packets relayed to them', { timeout: 60_000 }, eachErrorCounted(2));
});
