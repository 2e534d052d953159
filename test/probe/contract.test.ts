import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import type { Loss, PingResult } from '../../src/domain/ping.js';
import { type ProbeMode, probeModes } from '../../src/domain/target.js';
import { type BareHandshake, bareHandlesAvailable, bareReadsAvailable } from '../../src/kernel/bare-tcp.js';
import { defaultProbeContext, kernelTimingUnavailable, probers } from '../../src/probe/index.js';
import type { ProbeContext } from '../../src/probe/types.js';
import { Responder } from '../../src/responder/responder.js';
import { systemClock } from '../../src/util/clock.js';
import { synDroppingListener } from '../helpers/backlog.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { closedPort, listener, waitFor } from '../helpers/servers.js';

/**
 * Every way a probe can run: judged from the kernel's record of its socket (Linux), or timed in
 * userland alone; on a bare handle (connect mode's handshake, echo mode's fresh connection), or on
 * a net.Socket where Node's handle cannot be had (echo mode's kept connections always are).
 */
const { handshake: bare, ...netOnly } = defaultProbeContext;
const contexts: { name: string; timing: 'kernel' | 'userland'; context: ProbeContext; modes: readonly ProbeMode[] }[] = [
  { name: 'kernel timing', timing: 'kernel', context: defaultProbeContext, modes: probeModes },
  { name: 'kernel timing, net.Socket', timing: 'kernel', context: netOnly, modes: probeModes },
  { name: 'userland timing', timing: 'userland', context: { clock: systemClock, connect }, modes: probeModes },
  {
    name: 'userland timing, bare handle',
    timing: 'userland',
    context: { clock: systemClock, connect, ...(bare ? { handshake: bare } : {}) },
    modes: probeModes,
  },
];
if (process.env.CI === 'true') {
  assert.equal(kernelTimingUnavailable, undefined, 'CI runs on Linux with koffi: kernel timing must work');
  assert.ok(bareHandlesAvailable, "CI runs Node's own TCP handles: connect mode must not fall back to net.Socket");
  assert.ok(bareReadsAvailable, "CI runs Node's own stream binding: echo mode must not fall back to net.Socket");
}
const real = defaultProbeContext;
const req = (port: number, over: Partial<{ timeoutMs: number; signal: AbortSignal }> = {}) => ({
  host: '127.0.0.1',
  port,
  seq: 1,
  timeoutMs: 1000,
  ...over,
});

function lost(result: PingResult): Loss {
  if (result.ok) assert.fail(`expected a loss, got ${JSON.stringify(result)}`);
  return result.error;
}

// One contract, every mode and timing: what a prober must do on success, refusal, timeout and abort.
for (const { name, timing, context, modes } of contexts)
  for (const mode of modes) {
    const real = context;
    const withClock = (clock: FakeClock): ProbeContext => ({ ...context, clock });
    describe(`${mode} probe contract (${name})`, () => {
      const probe = probers[mode];
      let responder: Responder;
      let port: number;
      before(async () => {
        responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
        port = (await responder.listen('127.0.0.1', 0)).port;
      });
      after(() => responder.stop());

      test('success: an RTT and a handshake time, both positive and small on loopback', async () => {
        const result = await probe(req(port), real);
        assert.ok(result.ok, JSON.stringify(result));
        assert.ok(result.value.rttSeconds > 0 && result.value.rttSeconds < 0.5);
        assert.ok(result.value.connectSeconds !== undefined && result.value.connectSeconds > 0);
        assert.equal(result.value.timing, timing);
        // The kernel counts the SYNs it retransmitted; userland cannot know.
        assert.equal(result.value.synRetransmits, timing === 'kernel' ? 0 : undefined);
      });

      test('a closed port is refused at once, with its errno', async () => {
        const result = lost(await probe(req(await closedPort()), real));
        assert.equal(result.reason, 'refused');
        assert.equal(result.errno, 'ECONNREFUSED');
        assert.match(result.detail, /ECONNREFUSED \(errno 111\): connection refused/);
      });

      test('timeout: exactly after timeoutMs on the injected clock', async (t) => {
        const clock = new FakeClock();
        // echo: the server accepts and never answers; connect: the server's SYNs are dropped.
        const silent = mode === 'echo' ? await listener(() => {}) : undefined;
        const dropping = mode === 'connect' ? await synDroppingListener() : undefined;
        // Cleanup even when an assertion fails: a live child process would keep the test file from exiting.
        t.after(async () => {
          await silent?.close();
          dropping?.close();
        });
        const target = silent?.port ?? (dropping?.port as number);
        let result: PingResult | undefined;
        const pending = probe(req(target, { timeoutMs: 1000 }), withClock(clock)).then((r) => (result = r));
        await new Promise((resolve) => setTimeout(resolve, 50));
        await clock.advance(999);
        assert.equal(result, undefined, 'resolved before the timeout');
        await clock.advance(1);
        await pending;
        assert.equal(lost(result as unknown as PingResult).reason, 'timeout');
      });

      test('abort: a ping in flight ends at once when its signal fires', async (t) => {
        const silent = await listener(() => {});
        const dropping = mode === 'connect' ? await synDroppingListener() : undefined;
        t.after(async () => {
          await silent.close();
          dropping?.close();
        });
        const controller = new AbortController();
        const pending = probe(req(dropping?.port ?? silent.port, { timeoutMs: 60_000, signal: controller.signal }), real);
        setTimeout(() => controller.abort(), 20);
        const result = lost(await pending);
        assert.equal(result.reason, 'error');
        assert.match(result.detail, /aborted/);
      });
    });
  }

/** The default context, keeping each bare connection its opener makes (`drop`: an opener that forgets where reads go). */
function recordingBare(drop = false): { context: ProbeContext; opened: BareHandshake[] } {
  const opened: BareHandshake[] = [];
  const open = defaultProbeContext.handshake;
  assert.ok(open, 'Node’s handles can be had here (CI asserts it above)');
  const context: ProbeContext = {
    ...defaultProbeContext,
    handshake: (address, port, owner, onEnd, onRead) => {
      const connection = open(address, port, owner, onEnd, drop ? undefined : onRead);
      if (connection) opened.push(connection as BareHandshake);
      return connection;
    },
  };
  return { context, opened };
}

const bareWay = bareHandlesAvailable ? recordingBare() : undefined;
const echoWays: [string, ProbeContext][] = [
  ...(bareWay ? [['bare handle', bareWay.context] as [string, ProbeContext]] : []),
  ['net.Socket', netOnly],
];
for (const [way, real] of echoWays)
  describe(`echo probe: bad replies and early closes (${way})`, () => {
    const echo = probers.echo;
    const cases: [string, (socket: import('node:net').Socket) => void, string, RegExp][] = [
      ['a wrong reply is a mismatch', (s) => s.once('data', () => s.write('PONG\n')), 'mismatch', /reply "PONG" is not "PING 1 /],
      ['a lower-case echo is a mismatch', (s) => s.once('data', (d) => s.write(d)), 'mismatch', /reply "ping 1 .*" is not "PING 1 /],
      ['binary in the reply is shown escaped', (s) => s.once('data', () => s.write(Buffer.from([0, 1, 10]))), 'mismatch', /\\x00\\x01/],
      ['a close without a reply is lost at once as closed', (s) => s.end(), 'closed', /without a reply/],
      ['a close after half a reply is closed', (s) => s.once('data', () => s.end('PIN')), 'closed', /partial reply "PIN"/],
      ['an RST is reset', (s) => s.once('data', () => s.resetAndDestroy()), 'reset', /ECONNRESET/],
    ];
    for (const [name, behave, reason, detail] of cases) {
      test(name, async () => {
        const server = await listener(behave);
        // A fake clock that never moves: any of these must resolve without waiting for the timeout.
        const bareBefore = bareWay?.opened.length ?? 0;
        const result = lost(await echo(req(server.port), { ...real, clock: new FakeClock() }));
        assert.equal(result.reason, reason);
        assert.match(result.detail, detail);
        if (way === 'bare handle') assert.equal(bareWay?.opened.length, bareBefore + 1, 'the ping went on a bare connection');
        await server.close();
      });
    }

    if (way === 'bare handle')
      test('an ended ping holds nothing of itself on its bare connection, answered or refused', async () => {
        const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
        const { port } = await responder.listen('127.0.0.1', 0);
        const refusedPort = await closedPort();
        const { context: recording, opened } = recordingBare();
        const outcomes = [];
        for (const target of [port, refusedPort]) outcomes.push((await echo(req(target), recording)).ok);
        await responder.stop();
        assert.deepEqual(outcomes, [true, false]);
        assert.equal(opened.length, 2, 'both pings went on bare connections');
        for (const connection of opened) {
          assert.equal(connection.owner, undefined, 'the ended ping is still its owner');
          assert.ok(connection.destroyed, 'its handle is closed');
        }
      });

    if (way === 'bare handle')
      test('an opener that drops where reads go: the ping goes through net.Socket instead, and is answered', async () => {
        const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
        const { port } = await responder.listen('127.0.0.1', 0);
        const { context, opened } = recordingBare(true);
        const result = await echo(req(port), context);
        await responder.stop();
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(opened.length, 1, 'a bare connection was opened');
        assert.ok(opened[0]?.destroyed, 'and discarded at once');
      });

    if (way === 'net.Socket')
      test('an ended ping leaves no listener of its own on its socket, answered or refused', async () => {
        // Node keeps a closed socket past young collections: a listener made for the ping and left on
        // it kept the whole ping (its attempt, promise and round) alive with it.
        const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
        const { port } = await responder.listen('127.0.0.1', 0);
        const refusedPort = await closedPort();
        /** Per socket, the listeners the probe's own code added (not node's, made inside the calls). */
        const added: [import('node:net').Socket, string | symbol, (...args: never[]) => void][] = [];
        const recording: ProbeContext = {
          ...real,
          connect: (options) => {
            const socket = real.connect(options);
            for (const method of ['on', 'once', 'addListener', 'prependListener'] as const) {
              const original = socket[method];
              socket[method] = function (this: typeof socket, event: string | symbol, listener: (...args: never[]) => void) {
                const caller = new Error().stack?.split('\n')[2] ?? '';
                if (caller.includes('/src/probe/')) added.push([socket, event, listener]);
                return Reflect.apply(original, this, [event, listener]);
              } as typeof original;
            }
            return socket;
          },
        };
        const outcomes = [];
        for (const target of [port, port, refusedPort, refusedPort]) outcomes.push((await echo(req(target), recording)).ok);
        await responder.stop();
        assert.deepEqual(outcomes, [true, true, false, false]);
        const sockets = [...new Set(added.map(([socket]) => socket))];
        assert.equal(sockets.length, 4);
        const left = sockets.map((socket) =>
          added.filter(([s, event, listener]) => s === socket && socket.listeners(event).includes(listener)).map(([, e, l]) => [e, l]),
        );
        assert.ok(
          added.some(([, event]) => event === 'connect'),
          "the probe's listeners were recorded",
        );
        // What stays is shared by every ping (one handler of the probe's): the same functions on both sockets.
        assert.deepEqual(left[0], left[1], 'a listener made for one answered ping stayed on its socket');
        assert.deepEqual(left[2], left[3], 'a listener made for one refused ping stayed on its socket');
      });

    test('a classic server that answers without a newline is accepted', async () => {
      const server = await listener((s) => s.on('data', (d) => s.write(d.toString().trim().toUpperCase())));
      const result = await echo(req(server.port), real);
      assert.ok(result.ok, JSON.stringify(result));
      await server.close();
    });

    test('a reply that comes in pieces, each a read of its own, is put together', async () => {
      const server = await listener((s) => {
        s.setNoDelay(true);
        s.once('data', (d) => {
          const reply = d.toString('latin1').toUpperCase();
          const pieces = [reply.slice(0, 3), reply.slice(3, 9), reply.slice(9)];
          const next = () => {
            s.write(pieces.shift() as string);
            if (pieces.length > 0) setTimeout(next, 5);
          };
          next();
        });
      });
      const result = await echo(req(server.port), real);
      assert.ok(result.ok, JSON.stringify(result));
      await server.close();
    });

    test('kept connection: several pings over one socket, each answered', async () => {
      const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
      const { port } = await responder.listen('127.0.0.1', 0);
      const kept = {};
      const results = [];
      for (let seq = 1; seq <= 5; seq++) results.push(await echo({ ...req(port), seq, kept }, real));
      assert.ok(results.every((r) => r.ok));
      assert.ok(results[0]?.ok && results[0].value.connectSeconds !== undefined, 'the first ping connected');
      assert.ok(
        results.slice(1).every((r) => r.ok && r.value.connectSeconds === undefined),
        'later pings reused the connection',
      );
      await waitFor(() => responder.activeConnections === 1, 1000, 'one connection');
      await responder.stop();
    });
  });

describe('hidden loss: a dropped SYN makes the handshake about 1 s late', () => {
  test('connect completes after the kernel retransmits the SYN, which it counts', async (t) => {
    const dropping = await synDroppingListener();
    t.after(() => dropping.close());
    const pending = probers.connect(req(dropping.port, { timeoutMs: 5000 }), real);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await dropping.acceptOne(); // room in the queue: the retransmitted SYN (t = 1 s, or 3 s on a slow machine) gets through
    const result = await pending;
    assert.ok(result.ok, JSON.stringify(result));
    assert.ok((result.value.connectSeconds ?? 0) > 0.9, `handshake took ${result.value.connectSeconds} s`);
    assert.ok((result.value.synRetransmits ?? 0) >= 1, JSON.stringify(result.value));
    // The handshake's time after a retransmission is the kernel's (to a jiffy), not its first RTT sample.
    assert.ok(Math.abs((result.value.connectSeconds ?? 0) - result.value.rttSeconds) < 1e-9);
  });
});
