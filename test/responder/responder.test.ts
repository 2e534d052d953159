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
  const counts = { pings: 0, dropped: 0, connections: 0, bad: [] as BadRequestReason[], evicted: [] as string[], lines: [] as string[] };
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
      evicted: (reason) => counts.evicted.push(reason),
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

test('a classic client that sends one message without a newline gets its reply after the quiet gap', async () => {
  const clock = new FakeClock();
  const { port, counts } = await start({ clock, quietGapMs: 100 });
  const client = await rawClient(port);
  client.socket.write('ping 1 1726146326.979706');
  await waitFor(() => clock.pendingTimers >= 3, 2000, 'idle, line and quiet timers');
  await clock.advance(99);
  assert.equal(client.received(), '');
  await clock.advance(1);
  await waitFor(() => client.received() === 'PING 1 1726146326.979706', 2000, 'the reply');
  assert.equal(counts.pings, 1);
  client.socket.destroy();
});

test('one line split over many segments is one ping, one drop decision, one reply', async () => {
  const clock = new FakeClock();
  let draws = 0;
  const { port, counts } = await start({
    clock,
    quietGapMs: 100,
    dropRate: 0.5,
    random: () => {
      draws++;
      return 0.9;
    },
  });
  const client = await rawClient(port);
  client.socket.setNoDelay(true);
  const line = 'ping 1 1726146326.979706\n';
  for (const ch of line) {
    client.socket.write(ch);
    await new Promise((resolve) => setTimeout(resolve, 2)); // real time apart: separate segments
    await clock.advance(50); // each gap shorter than the quiet gap
  }
  await waitFor(() => client.received() === line.toUpperCase(), 2000, 'the one reply');
  await clock.advance(1000);
  assert.equal(counts.pings, 1);
  assert.equal(draws, 1);
  assert.equal(client.received(), line.toUpperCase());
  client.socket.destroy();
});

test('a line trickling in slower than its deadline is cut off (line_timeout), however often bytes come', async () => {
  const clock = new FakeClock();
  const { port, counts } = await start({ clock, quietGapMs: 5000, lineTimeoutMs: 1000, idleTimeoutMs: 60_000 });
  const client = await rawClient(port);
  for (let i = 0; i < 9; i++) {
    client.socket.write('x');
    await new Promise((resolve) => setTimeout(resolve, 2));
    await clock.advance(100);
  }
  assert.deepEqual(counts.bad, []);
  await clock.advance(200);
  await client.closed;
  assert.deepEqual(counts.bad, ['line_timeout']);
  assert.equal(counts.pings, 0);
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

test('a connection that completes no line is cut off after idleTimeoutMs; a complete line resets it', async () => {
  const clock = new FakeClock();
  const { port, counts, responder } = await start({ idleTimeoutMs: 5000, lineTimeoutMs: 60_000, quietGapMs: 60_000, clock });
  const idle = await rawClient(port);
  await waitFor(() => responder.activeConnections === 1, 2000, 'the connection');
  await clock.advance(3000);
  idle.socket.write('ping 1 1\n');
  await waitFor(() => idle.received() === 'PING 1 1\n', 2000, 'the reply');
  await clock.advance(4999);
  idle.socket.write('p'); // a byte is not a line: it does not keep the connection alive
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(counts.bad, []);
  await clock.advance(1);
  await idle.closed;
  assert.deepEqual(counts.bad, ['idle_timeout']);
});

test('when full, the connection longest without a complete line is evicted and the new one is served', async () => {
  const { port, counts, responder } = await start({ maxConnections: 3 });
  const oldest = await rawClient(port);
  await waitFor(() => responder.activeConnections === 1, 2000, 'the first connection');
  const active = await rawClient(port);
  const idle = await rawClient(port);
  await waitFor(() => responder.activeConnections === 3, 2000, 'three connections');
  // The oldest completes a line: now the middle one has gone longest without one.
  oldest.socket.write('ping 1 1\n');
  await waitFor(() => oldest.received() === 'PING 1 1\n', 2000, 'a reply');
  const fresh = await rawClient(port);
  await active.closed;
  assert.deepEqual(counts.evicted, ['server_full']);
  fresh.socket.write('ping 2 2\n');
  await waitFor(() => fresh.received() === 'PING 2 2\n', 2000, 'the new client is served');
  assert.equal(responder.activeConnections, 3);
  for (const c of [oldest, idle, fresh]) c.socket.destroy();
});

test('one address at its cap makes room from its own connections, not from others', async () => {
  const { port, counts, responder } = await start({ maxConnections: 10, maxConnectionsPerAddress: 2 });
  const a1 = await rawClient(port);
  await waitFor(() => responder.activeConnections === 1, 2000, 'the first connection');
  const a2 = await rawClient(port);
  await waitFor(() => responder.activeConnections === 2, 2000, 'two connections');
  const a3 = await rawClient(port);
  await a1.closed;
  assert.deepEqual(counts.evicted, ['address_full']);
  a3.socket.write('ping 3 3\n');
  await waitFor(() => a3.received() === 'PING 3 3\n', 2000, 'the newest is served');
  a2.socket.destroy();
  a3.socket.destroy();
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
