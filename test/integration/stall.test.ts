import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { kernelTimingUnavailable } from '../../src/probe/index.js';
import { parseExposition } from '../helpers/exposition.js';
import { closedPort } from '../helpers/servers.js';

const TIMEOUT_MS = 200;
const STALL_MS = 500;
const STALLS = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `tcpping serve` on a config and resolves with the child and its web port (from its log). */
async function serve(config: object, dir: string): Promise<{ child: ChildProcess; webPort: number }> {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--config', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const webPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the service did not start'));
    }, 30_000);
    lines.on('line', (line) => {
      const web = /"web":"127\.0\.0\.1:(\d+)"/.exec(line);
      if (!web) return;
      clearTimeout(timer);
      resolve(Number(web[1]));
    });
  });
  return { child, webPort };
}

/** Starts `command` with a free loopback port as its last argument; resolves once it prints its first line. */
async function listenElsewhere([command, ...args]: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await closedPort();
  const where = command === 'python3' ? String(port) : `127.0.0.1:${port}`;
  const child = spawn(command as string, [...args, where], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return { child, port };
}

/** One echo exchange with the server, so its first, slow answer is behind us. */
async function warmUp(port: number): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('ping 0 0\n');
  await new Promise((resolve) => socket.once('data', resolve));
  socket.destroy();
}

/**
 * Freeze the service (SIGSTOP) for longer than the timeout, again and again, while it pings a
 * healthy loopback target back to back: the replies come in time and wait in the sockets, and the
 * kernel's record says so. No ping may be lost and no figure may carry the freeze.
 */
test('a service frozen longer than the timeout loses no ping and inflates no RTT', { timeout: 60_000 }, async (t) => {
  if (process.platform !== 'linux' && process.env.CI !== 'true') {
    t.skip('kernel timing is Linux-only');
    return;
  }
  assert.equal(kernelTimingUnavailable, undefined, 'kernel timing works here');
  // The targets run in processes of their own, never held up by this one (its first fetch() blocks it
  // for 100 ms and more). The echo target answers 20 ms after each request: a ping is nearly always in
  // flight when a freeze comes. Connect pings come thousands a second, which the listener keeps accepting.
  const listener = await listenElsewhere(['python3', 'test/fixtures/echo_ports.py']);
  const responder = await listenElsewhere([
    process.execPath,
    '--import',
    'tsx',
    'src/cli/bin.ts',
    'server',
    '--drop-rate',
    '0',
    '--delay-ms',
    '20',
    '--listen',
  ]);
  const port = responder.port;
  await warmUp(port); // a server's first answer can take a while (code loading), which is no freeze of ours
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-stall-'));
  const { child, webPort } = await serve(
    {
      log: { level: 'info' }, // its "serving" line names the web port
      responder: { enabled: false },
      web: { listenAddress: '127.0.0.1:0' },
      icmp: { capture: 'off' },
      defaults: { count: 100_000, intervalMs: 1000, pingIntervalMs: 0, timeoutMs: TIMEOUT_MS }, // first rounds 0 and 0.5 s in
      targets: [
        // A ping every millisecond: plenty in flight when a freeze comes, without a core of CPU to a flood.
        { name: 'connect', address: `127.0.0.1:${listener.port}`, mode: 'connect', pingIntervalMs: 1 },
        { name: 'echo', address: `127.0.0.1:${port}`, mode: 'echo' },
      ],
    },
    dir,
  ).catch(async (error) => {
    for (const c of [listener.child, responder.child]) c.kill();
    throw error;
  });
  t.after(() => {
    for (const c of [child, listener.child, responder.child]) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await sleep(800);
  for (let i = 0; i < STALLS; i++) {
    child.kill('SIGSTOP');
    await sleep(STALL_MS);
    child.kill('SIGCONT');
    await sleep(300 + 40 * i);
  }
  const body = await (await fetch(`http://127.0.0.1:${webPort}/metrics`)).text();
  const status = (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/targets`)).json()) as {
    data: { name: string; lastLoss: unknown }[];
  };
  const lastLosses = JSON.stringify(status.data.map((d) => [d.name, d.lastLoss]));
  const m = parseExposition(body);
  const lost = (target: string) => m.samples.filter((s) => s.name === 'tcpping_pings_lost_total' && s.labels.target === target);
  const report = ['connect', 'echo']
    .map((target) => {
      const pings = m.value('tcpping_pings_sent_total', { target });
      const stalled = m.value('tcpping_pings_stalled_total', { target });
      return `${target}: ${pings} pings, ${stalled} stalled`;
    })
    .join('; ');
  console.log(`${STALLS} freezes of ${STALL_MS} ms, timeout ${TIMEOUT_MS} ms: ${report}`);
  for (const target of ['connect', 'echo']) {
    assert.ok(m.value('tcpping_pings_sent_total', { target }) > 50, report);
    assert.deepEqual(
      lost(target).filter((s) => s.value > 0),
      [],
      `${target}: pings lost (${lastLosses})`,
    );
  }
  // Loopback handshakes take microseconds; the kernel's figure does not move when the loop froze
  // (500 ms, past the 200 ms timeout). Bounded at 10 ms, not 1: once in a CI rehearsal one of 125
  // echo handshakes was over 1 ms, a SYN-ACK the busy VM's kernel was late to send, not a freeze.
  for (const target of ['connect', 'echo']) {
    const connects = m.value('tcpping_connect_seconds_count', { target });
    const buckets = m.samples
      .filter((s) => s.name === 'tcpping_connect_seconds_bucket' && s.labels.target === target && s.value > 0)
      .map((s) => `${s.labels.le}: ${s.value}`)
      .slice(0, 8);
    assert.equal(
      m.value('tcpping_connect_seconds_bucket', { target, le: '0.01' }),
      connects,
      `${target}: a handshake RTT was inflated (${connects} handshakes; ${buckets.join(', ')})`,
    );
  }
  // Echo: the server's 20 ms turnaround (up to 120 ms seen when this shared host is busy), never the 500 ms freeze.
  const replies = m.value('tcpping_rtt_seconds_count', { target: 'echo' });
  assert.equal(m.value('tcpping_rtt_seconds_bucket', { target: 'echo', le: '0.1' }), replies, 'an echo RTT carried a freeze');
  // The freezes did land on pings in flight, and the loop's own delay shows them.
  assert.ok(m.value('tcpping_pings_stalled_total', { target: 'echo' }) >= STALLS / 2, report);
  assert.ok(m.value('tcpping_event_loop_delay_seconds', { quantile: '1' }) >= STALL_MS / 1000 - 0.05, 'event loop delay');
});
