import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runClient } from '../../src/cli/client.js';
import type { Io } from '../../src/cli/io.js';
import { builtInDefaults } from '../../src/config/load.js';
import type { OpenRawSocket } from '../../src/icmp/capture.js';
import { AddonMissingError } from '../../src/icmp/raw.js';
import { defaultProbeContext } from '../../src/probe/index.js';
import { Responder } from '../../src/responder/responder.js';
import type { Resolver } from '../../src/scheduler/resolve.js';
import { closedPort } from '../helpers/servers.js';

/** The client in-process: its lines, on a real responder on 127.0.0.1:0; no raw socket unless a test gives one. */
function capture(interrupt?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), ...(interrupt ? { interrupt } : {}) };
  return { io, out, err };
}
const denied: OpenRawSocket = () => {
  throw Object.assign(new Error('Operation not permitted'), { code: 'EPERM' });
};
const noAddon: OpenRawSocket = () => {
  throw new AddonMissingError('the raw-socket addon is not installed; npm builds it at install time when a C++ compiler is present');
};
const unknownHost: Resolver = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
const localhost: Resolver = (_host, family) => Promise.resolve(family === 'ipv6' ? '::1' : '127.0.0.1');

let responder: Responder;
let port: number;
before(async () => {
  responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
  ({ port } = await responder.listen('127.0.0.1', 0));
});
after(() => responder.stop());

const client = (args: string[], io: Io, open: OpenRawSocket = denied, resolver: Resolver = localhost) =>
  runClient(args, io, defaultProbeContext, open, resolver);

test('an unknown host fails at once as ping does: one line, exit 2, no ping sent', async () => {
  const { io, out, err } = capture();
  assert.equal(await client(['nowhere.invalid:11000', '-c', '3'], io, denied, unknownHost), 2);
  assert.deepEqual(err, ['tcpping: nowhere.invalid: Name or service not known']);
  assert.deepEqual(out, []);
  const v6 = capture();
  assert.equal(await client(['127.0.0.1', '-6'], v6.io), 2);
  assert.deepEqual(v6.err, ['tcpping: 127.0.0.1: Address family for hostname not supported']);
});

test('a name is resolved once, before the first ping, and shown in the first line', async () => {
  let lookups = 0;
  const counting: Resolver = (host, family) => {
    lookups++;
    return localhost(host, family);
  };
  const { io, out } = capture();
  assert.equal(await client([`localhost:${port}`, '-c', '3', '-i', '0', '-4'], io, denied, counting), 0);
  assert.equal(lookups, 1);
  assert.equal(out[0], `TCPPING localhost:${port} → 127.0.0.1 (echo mode): 3 pings, timeout 1000 ms`);
});

test('without the privilege: one line saying so and how to silence it; --no-icmp: nothing', async () => {
  for (const [open, why] of [
    [denied, /no permission to open raw sockets \(needs CAP_NET_RAW\)/],
    [noAddon, /raw-socket addon is not installed/],
  ] as const) {
    const { io, err } = capture();
    assert.equal(await client([`127.0.0.1:${port}`, '-c', '1'], io, open), 0);
    assert.equal(err.length, 1, err.join('\n'));
    assert.match(err[0] ?? '', why);
    assert.match(err[0] ?? '', /--no-icmp/);
  }
  const quiet = capture();
  assert.equal(await client([`127.0.0.1:${port}`, '-c', '1', '--no-icmp'], quiet.io), 0);
  assert.deepEqual(quiet.err, []);
});

test('a refusal by RST: the reason once, no ICMP line; "1 ping", not "1 pings"', async () => {
  const { io, out } = capture();
  assert.equal(await client([`127.0.0.1:${await closedPort()}`, '-c', '1', '--no-icmp'], io), 1);
  assert.match(out[0] ?? '', /: 1 ping, timeout 1000 ms$/);
  assert.match(out[1] ?? '', /seq=1 connection refused \(ECONNREFUSED, errno 111\)$/);
  assert.match(out[2] ?? '', /^$/, 'no ICMP line under a refusal');
  assert.match(out.join('\n'), /^1 ping transmitted, 0 received, 100% loss/m);
});

test('-q prints the first line and the statistics only; -D stamps each ping line', async () => {
  const quiet = capture();
  assert.equal(await client([`127.0.0.1:${port}`, '-c', '3', '-i', '0', '-q'], quiet.io), 0);
  assert.equal(quiet.out.filter((l) => l.startsWith('reply from')).length, 0);
  assert.match(quiet.out.join('\n'), /3 pings transmitted, 3 received, 0% loss/);
  const stamped = capture();
  assert.equal(await client([`127.0.0.1:${port}`, '-c', '2', '-i', '0', '-D'], stamped.io), 0);
  const lines = stamped.out.filter((l) => l.includes('reply from'));
  assert.equal(lines.length, 2);
  for (const line of lines) assert.match(line, /^\[\d{10}\.\d{6}\] reply from 127\.0\.0\.1:\d+: seq=\d/);
});

test('-c 0 pings until Ctrl-C, then prints the statistics and exits 0', async () => {
  const interrupt = new AbortController();
  const { io, out } = capture(interrupt.signal);
  const io2: Io = {
    ...io,
    out: (line) => {
      io.out(line);
      if (out.filter((l) => l.startsWith('reply from')).length === 5) interrupt.abort();
    },
  };
  assert.equal(await client([`127.0.0.1:${port}`, '-c', '0', '-i', '0'], io2), 0);
  assert.match(out[0] ?? '', /pings until stopped/);
  assert.match(out.join('\n'), /\n5 pings transmitted, 5 received, 0% loss/);
});

test('-w: stops at the deadline; without -c it pings until then; with -c, fewer replies than -c is exit 1', async () => {
  const { io, out } = capture();
  const started = performance.now();
  assert.equal(await client([`127.0.0.1:${port}`, '-w', '0.3', '-i', '0.05'], io), 0);
  const elapsed = performance.now() - started;
  const sent = Number(/^(\d+) pings? transmitted/m.exec(out.join('\n'))?.[1]);
  assert.ok(sent >= 2 && sent <= 8, `${sent} pings in 0.3 s at 0.05 s apart`);
  assert.ok(elapsed < 2000, `stopped after ${elapsed} ms`);
  const short = capture();
  assert.equal(await client([`127.0.0.1:${port}`, '-w', '0.2', '-c', '100', '-i', '0.05'], short.io), 1);
});
