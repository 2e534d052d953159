import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProbeOutcome } from '../../src/domain/path.js';
import type { HopProbe } from '../../src/trace/probe.js';
import { runTrace, traceBoundMs } from '../../src/trace/trace.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * A network as a table: what answers a probe that may cross `hops` routers. Routers are listed
 * by hop; null is a router that sends no time exceeded; the destination sits after the last.
 */
function network(routers: (string | null)[], destination: ProbeOutcome['answer'] | 'silent', clock: FakeClock) {
  const probes: HopProbe[] = [];
  let inFlight = 0;
  const probe = async (p: HopProbe): Promise<ProbeOutcome> => {
    probes.push(p);
    assert.equal(inFlight++, 0, 'one probe at a time');
    try {
      if (p.hops <= routers.length) {
        const router = routers[p.hops - 1];
        if (router === null || router === undefined) {
          await clock.advance(p.timeoutMs);
          return { answer: 'none' };
        }
        const icmp = { family: 4 as const, type: 11, code: 0, reporter: router };
        return { answer: 'time-exceeded', from: router, rttSeconds: p.hops / 1000, icmp };
      }
      if (destination === 'syn-ack' || destination === 'reset') return { answer: destination, from: p.address, rttSeconds: 0.01 };
      await clock.advance(p.timeoutMs);
      return { answer: 'none' };
    } finally {
      inFlight--;
    }
  };
  return { probes, probe };
}

const settings = { maxHops: 30, probesPerHop: 3, probeTimeoutMs: 100, maxSilentHops: 3 };
const request = { address: '10.0.9.9', port: 443, family: 4 as const, ...settings };

test('hop by hop to the destination, three probes each, all from one source port', async () => {
  const clock = new FakeClock();
  const net = network(['10.0.0.1', null, '10.0.2.1', '10.0.3.1'], 'syn-ack', clock);
  const trace = await runTrace(request, { probe: net.probe, clock, random: () => 0.5, ephemeralPorts: [32768, 60999] });
  assert.equal(trace.end, 'syn-ack');
  assert.deepEqual(
    trace.hops.map((h) => [h.hop, h.address, h.received, h.answer]),
    [
      [1, '10.0.0.1', 3, 'time-exceeded'],
      [2, null, 0, null],
      [3, '10.0.2.1', 3, 'time-exceeded'],
      [4, '10.0.3.1', 3, 'time-exceeded'],
      [5, '10.0.9.9', 3, 'syn-ack'],
    ],
  );
  assert.equal(net.probes.length, 15);
  assert.deepEqual(new Set(net.probes.map((p) => p.sourcePort)), new Set([trace.sourcePort]));
  assert.ok(trace.sourcePort < 32768 || trace.sourcePort > 60999, `port ${trace.sourcePort} outside the ephemeral range`);
  assert.deepEqual(
    net.probes.map((p) => p.hops),
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5],
  );
  // The silent hop cost its three timeouts, the rest nothing on this fake network.
  assert.equal(trace.durationSeconds, 0.3);
});

test('answers that stop: the trace ends after maxSilentHops silent hops, a RST or an unreachable ends it at once', async () => {
  const clock = new FakeClock();
  const silent = network(['r1', 'r2', 'r3'], 'silent', clock);
  const stopped = await runTrace(request, { probe: silent.probe, clock, random: () => 0 });
  assert.equal(stopped.end, 'silence');
  assert.deepEqual(
    stopped.hops.map((h) => h.address),
    ['r1', 'r2', 'r3', null, null, null],
  );
  assert.ok(stopped.durationSeconds <= traceBoundMs(settings) / 1000);

  const reset = await runTrace(request, { probe: network(['r1'], 'reset', clock).probe, clock, random: () => 0 });
  assert.deepEqual([reset.end, reset.hops.length], ['reset', 2]);

  const refusing = async (p: HopProbe): Promise<ProbeOutcome> =>
    p.hops < 2
      ? { answer: 'time-exceeded', from: 'r1', rttSeconds: 0.001, icmp: { family: 4, type: 11, code: 0, reporter: 'r1' } }
      : { answer: 'unreachable', from: 'fw', rttSeconds: 0.002, icmp: { family: 4, type: 3, code: 13, reporter: 'fw' } };
  const refused = await runTrace(request, { probe: refusing, clock, random: () => 0 });
  assert.deepEqual([refused.end, refused.hops.at(-1)?.address, refused.hops.at(-1)?.icmp?.code], ['unreachable', 'fw', 13]);

  const far = await runTrace(
    { ...request, maxHops: 2 },
    { probe: network(['r1', 'r2', 'r3'], 'syn-ack', clock).probe, clock, random: () => 0 },
  );
  assert.deepEqual([far.end, far.hops.length], ['max-hops', 2]);
});

test('a source port in use is replaced before the first probe, unless it was given; any other error ends the trace', async () => {
  const clock = new FakeClock();
  const taken = new Set([1024]);
  const ports: number[] = [];
  const probe = async (p: HopProbe): Promise<ProbeOutcome> => {
    ports.push(p.sourcePort);
    if (taken.has(p.sourcePort)) return { answer: 'error', detail: 'EADDRINUSE', errno: 'EADDRINUSE' };
    return { answer: 'syn-ack', from: p.address, rttSeconds: 0.001 };
  };
  const randoms = [0, 0.5];
  const moved = await runTrace(request, { probe, clock, random: () => randoms.shift() ?? 0.9 });
  assert.equal(moved.end, 'syn-ack');
  assert.equal(ports[0], 1024);
  assert.notEqual(moved.sourcePort, 1024);
  assert.ok(ports.slice(1).every((p) => p === moved.sourcePort));

  const fixed = await runTrace({ ...request, sourcePort: 1024, fixedSourcePort: true }, { probe, clock, random: () => 0.5 });
  assert.deepEqual([fixed.end, fixed.error, fixed.hops], ['error', 'EADDRINUSE', []]);

  let n = 0;
  const failing = async (): Promise<ProbeOutcome> =>
    n++ < 4 ? { answer: 'none' } : { answer: 'error', detail: 'connect ENETUNREACH', errno: 'ENETUNREACH' };
  const broken = await runTrace(request, { probe: failing, clock, random: () => 0.5 });
  assert.deepEqual([broken.end, broken.error, broken.hops.map((h) => h.sent)], ['error', 'connect ENETUNREACH', [3, 1]]);
});
