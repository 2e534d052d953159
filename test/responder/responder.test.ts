import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import { probers } from '../../src/probe/index.js';
import type { BadRequestReason } from '../../src/protocol/line.js';
import { Responder, type ResponderOptions } from '../../src/responder/responder.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { rawClient } from '../helpers/lines.js';
import { waitFor } from '../helpers/servers.js';

const running: Responder[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(options: Partial<ResponderOptions> = {}) {
  const counts = { pings: 0, dropped: 0, connections: 0, bad: [] as BadRequestReason[], lines: [] as string[] };
  const responder = new Responder({
    ...builtInDefaults.responder,
    dropRate: 0,
    delayMs: 0,
    jitterMs: 0,
    ...options,
    events: {
      connection: () => counts.connections++,
      ping: (remote, dropped) => {
        counts.pings++;
        if (dropped) counts.dropped++;
        counts.lines.push(`Ping received from ${remote}`);
      },
      badRequest: (reason) => counts.bad.push(reason),
    },
  });
  running.push(responder);
  const { port } = await responder.listen('127.0.0.1', 0);
  return { responder, port, counts };
}

const echo = (port: number, seq = 1) => probers.echo({ host: '127.0.0.1', port, seq, timeoutMs: 2000 }, { clock: systemClock, connect });

test('answers each line upper-cased, several per connection, and names the sender', async () => {
  const { port, counts } = await start();
  const client = await rawClient(port);
  client.socket.write('ping 1 1.5\nping 2 2.5\n');
  await waitFor(() => client.received() === 'PING 1 1.5\nPING 2 2.5\n', 2000, 'two replies');
  assert.equal(counts.pings, 2);
  assert.match(counts.lines[0] ?? '', /^Ping received from 127\.0\.0\.1:\d+$/);
  client.socket.destroy();
});

test('a classic client that sends one message without a newline gets its reply', async () => {
  const { port } = await start();
  const client = await rawClient(port);
  client.socket.write('ping 1 1726146326.979706');
  await waitFor(() => client.received() === 'PING 1 1726146326.979706', 2000, 'the reply');
  client.socket.destroy();
});

test('serves many clients at once', async () => {
  const { port, counts } = await start();
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => echo(port, i + 1)));
  assert.equal(results.filter((r) => r.ok).length, 200);
  assert.equal(counts.connections, 200);
});

test('drops exactly the pings the injected randomness picks', async () => {
  const draws = [0.1, 0.5, 0.19, 0.2]; // dropRate 0.2: below it is dropped
  const { port, counts } = await start({ dropRate: 0.2, random: () => draws.shift() ?? 0.9 });
  const client = await rawClient(port);
  client.socket.write('ping 1 1\nping 2 2\nping 3 3\nping 4 4\n');
  await waitFor(() => client.received() === 'PING 2 2\nPING 4 4\n', 2000, 'replies to 2 and 4');
  assert.equal(counts.dropped, 2);
  client.socket.destroy();
});

test('delay and jitter on the injected clock; replies keep their order', async () => {
  const clock = new FakeClock();
  const draws = [0.9, 0.0]; // first reply 100+90 ms, second would be 100+0 ms but must not overtake
  const { port } = await start({ delayMs: 100, jitterMs: 100, clock, random: () => draws.shift() ?? 0.5 });
  const client = await rawClient(port);
  client.socket.write('ping 1 1\n');
  await waitFor(() => clock.pendingTimers >= 2, 2000, 'the reply timer'); // idle timer + reply timer
  client.socket.write('ping 2 2\n');
  await waitFor(() => clock.pendingTimers >= 3, 2000, 'the second reply timer');
  await clock.advance(189);
  assert.equal(client.received(), '');
  await clock.advance(1);
  await waitFor(() => client.received() === 'PING 1 1\nPING 2 2\n', 2000, 'both replies in order');
  client.socket.destroy();
});

const limits: [string, Partial<ResponderOptions>, (c: Awaited<ReturnType<typeof rawClient>>) => void, BadRequestReason][] = [
  ['a line over the limit', { maxLineBytes: 64 }, (c) => c.socket.write(`${'x'.repeat(100)}\n`), 'line_too_long'],
  ['an endless line with no newline', { maxLineBytes: 64 }, (c) => c.socket.write('y'.repeat(65)), 'line_too_long'],
  [
    'an endless line sent ten bytes at a time',
    { maxLineBytes: 64 },
    (c) => {
      for (let i = 0; i < 10; i++) setTimeout(() => c.socket.write('z'.repeat(10)), i * 5);
    },
    'line_too_long',
  ],
  ['binary garbage', {}, (c) => c.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x0a])), 'binary'],
];
for (const [name, options, misbehave, reason] of limits) {
  test(`${name} is counted as ${reason}, cut off, and everyone else is still served`, async () => {
    const { port, counts } = await start(options);
    const bad = await rawClient(port);
    misbehave(bad);
    await bad.closed;
    assert.deepEqual(counts.bad, [reason]);
    assert.ok((await echo(port)).ok);
  });
}

test('an idle connection is cut off after idleTimeoutMs', async () => {
  const clock = new FakeClock();
  const { port, counts, responder } = await start({ idleTimeoutMs: 5000, clock });
  const idle = await rawClient(port);
  await waitFor(() => responder.activeConnections === 1, 2000, 'the connection');
  await clock.advance(4999);
  assert.deepEqual(counts.bad, []);
  await clock.advance(1);
  await idle.closed;
  assert.deepEqual(counts.bad, ['idle_timeout']);
});

test('connections over maxConnections are refused and counted; those inside are served', async () => {
  const { port, counts, responder } = await start({ maxConnections: 2 });
  const a = await rawClient(port);
  const b = await rawClient(port);
  await waitFor(() => responder.activeConnections === 2, 2000, 'two connections');
  const c = await rawClient(port);
  await c.closed;
  assert.deepEqual(counts.bad, ['too_many_connections']);
  a.socket.write('ping 1 1\n');
  await waitFor(() => a.received() === 'PING 1 1\n', 2000, 'a reply inside the limit');
  a.socket.destroy();
  b.socket.destroy();
});

test('random and hostile bytes from many clients never crash it (bounded fuzz)', async () => {
  const { port } = await start({ maxLineBytes: 256 });
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 100; round++) {
    const client = await rawClient(port);
    const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256)));
    client.socket.write(bytes);
    if (rand() < 0.5) client.socket.resetAndDestroy();
    else client.socket.end();
  }
  assert.ok((await echo(port)).ok, 'still serving after the fuzz');
});

test('stop() closes the listener and every open connection', async () => {
  const { port, responder } = await start();
  const client = await rawClient(port);
  await waitFor(() => responder.activeConnections === 1, 2000, 'the connection');
  await responder.stop();
  running.length = 0;
  await client.closed;
  const after = await echo(port);
  assert.equal(after.ok ? 'ok' : after.error.reason, 'refused');
});
