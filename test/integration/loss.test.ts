import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import { defaultProbeContext, probers } from '../../src/probe/index.js';
import type { ProbeContext } from '../../src/probe/types.js';
import { Responder } from '../../src/responder/responder.js';
import { runRound } from '../../src/scheduler/round.js';
import { systemClock } from '../../src/util/clock.js';
import { prng } from '../helpers/prng.js';

const deps = { clock: systemClock, probers, probeContext: { clock: systemClock, connect } };
const round = (port: number, count: number, timeoutMs = 100) =>
  runRound(
    { host: '127.0.0.1', port, mode: 'echo', count, pingIntervalMs: 0, timeoutMs, reuseConnection: false },
    deps,
    {},
    { plannedStartMs: systemClock.nowMs() },
  );

/** Normal approximation of the binomial: the 99.9% two-sided interval of the count of losses. */
function binomialInterval(n: number, p: number, z = 3.29): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - z * sd, n * p + z * sd];
}

/** The lossy responder's own record: the pings it read and the ones it dropped. */
const lossyCount = { pings: 0, dropped: 0 };
let lossy: Responder;
let clean: Responder;
let lossyPort: number;
let cleanPort: number;
before(async () => {
  lossy = new Responder({
    ...builtInDefaults.responder,
    dropRate: 0.2,
    delayMs: 0,
    jitterMs: 0,
    random: prng(0x5eed0015), // the same drops every run: a failure is replayed, not a 1-in-1,000 draw
    events: {
      ping: (_remote, dropped) => {
        lossyCount.pings++;
        if (dropped) lossyCount.dropped++;
      },
    },
  });
  clean = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
  lossyPort = (await lossy.listen('127.0.0.1', 0)).port;
  cleanPort = (await clean.listen('127.0.0.1', 0)).port;
});
after(async () => {
  await lossy.stop();
  await clean.stop();
});

test('300 pings against dropRate 0.2: the pings lost are the ones the responder dropped, by its own count', async () => {
  // 200 ms: a ping the responder answered is not called lost when a busy machine stalls this process.
  const outcome = await round(lossyPort, 300, 200);
  const lost = outcome.results.filter((r) => !r.ok);
  assert.equal(lossyCount.pings, 300, 'the responder read every ping');
  assert.equal(lost.length, lossyCount.dropped, `${lost.length} lost, the responder dropped ${lossyCount.dropped}`);
  // The responder's drops themselves: inside the binomial 99.9% interval of 300 draws at 0.2.
  const [low, high] = binomialInterval(300, 0.2);
  assert.ok(
    lossyCount.dropped >= low && lossyCount.dropped <= high,
    `dropped ${lossyCount.dropped}, expected ${low.toFixed(1)}..${high.toFixed(1)}`,
  );
  assert.ok(
    lost.every((r) => !r.ok && r.error.reason === 'timeout'),
    'a dropped ping is a timeout',
  );
  assert.equal(outcome.summary.sent, 300);
  assert.equal(outcome.summary.received, 300 - lossyCount.dropped);
});

test('dropRate 0 loses nothing over 300 pings', async () => {
  const outcome = await round(cleanPort, 300, 2000);
  assert.equal(outcome.summary.received, 300, JSON.stringify(outcome.results.find((r) => !r.ok)));
});

/** Sockets in TIME_WAIT (state 06) whose local or remote port is `port`, read from /proc/net/tcp. */
function timeWaitOn(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (state === '06' && (local?.endsWith(`:${hex}`) || remote?.endsWith(`:${hex}`))) count++;
    }
  }
  return count;
}

test('1,000 echo pings on net.Sockets leave no TIME_WAIT sockets behind on either side (RST close)', async () => {
  const before = timeWaitOn(cleanPort);
  const outcome = await round(cleanPort, 1000, 2000);
  assert.equal(outcome.summary.received, 1000);
  assert.equal(timeWaitOn(cleanPort) - before, 0);
});

for (const mode of ['connect', 'echo'] as const)
  test(`1,000 ${mode}-mode pings on bare handles leave no TIME_WAIT sockets behind either (RST close)`, async () => {
    const before = timeWaitOn(cleanPort);
    const open = defaultProbeContext.handshake;
    assert.ok(open, "Node's handles can be had here");
    let bare = 0;
    const probeContext: ProbeContext = {
      ...defaultProbeContext,
      handshake: (address, port, owner, onEnd, onRead) => {
        bare++;
        return open(address, port, owner, onEnd, onRead);
      },
    };
    const outcome = await runRound(
      { host: '127.0.0.1', port: cleanPort, mode, count: 1000, pingIntervalMs: 0, timeoutMs: 2000, reuseConnection: false },
      { clock: systemClock, probers, probeContext },
      {},
      { plannedStartMs: systemClock.nowMs() },
    );
    assert.equal(outcome.summary.received, 1000);
    assert.equal(bare, 1000, 'every ping went on a bare handle');
    assert.equal(timeWaitOn(cleanPort) - before, 0);
  });

test('the TIME_WAIT count above can see them: 50 FIN-closed connections leave 50', async () => {
  const before = timeWaitOn(cleanPort);
  for (let i = 0; i < 50; i++) {
    const socket = connect({ host: '127.0.0.1', port: cleanPort });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  }
  assert.ok(timeWaitOn(cleanPort) - before >= 50, `${timeWaitOn(cleanPort) - before} in TIME_WAIT`);
});
