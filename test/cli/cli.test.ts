import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import { Responder } from '../../src/responder/responder.js';
import { startWithFirstLine, tcpping } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';
import { closedPort, waitFor } from '../helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('check-config: 0 for a valid file, 1 naming every problem, 2 without a file', async () => {
  const ok = await tcpping(['check-config', 'config/default.yaml']);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'config/default.yaml: valid (1 target)\n');
  const bad = await tcpping(['check-config', 'test/fixtures/config/misspelled-key.yaml']);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    'test/fixtures/config/misspelled-key.yaml: unknown key "responder.dropRat" (did you mean "responder.dropRate"?)\n',
  );
  assert.equal((await tcpping(['check-config'])).code, 2);
});

const usageErrors: [string[], RegExp][] = [
  [['client'], /expected one target HOST\[:PORT\]/],
  [['client', '127.0.0.1', '-c', '0'], /-c must be a number from 1 to 1000000, not "0"/],
  [['client', '127.0.0.1', '--mode', 'icmp'], /--mode must be echo or connect, not "icmp"/],
  [['client', '127.0.0.1', '--bogus'], /Unknown option '--bogus'/],
  [['client', '127.0.0.1:99999'], /port 99999 in "127.0.0.1:99999" is outside 1-65535/],
  [['server', '--drop-rate', '2'], /--drop-rate must be a number from 0 to 1, not "2"/],
  [['frobnicate'], /unknown command "frobnicate"/],
];
for (const [args, message] of usageErrors) {
  test(`tcpping ${args.join(' ')}: exit 2 with the argument named`, async () => {
    const { code, stderr } = await tcpping(args);
    assert.equal(code, 2);
    assert.match(stderr, message);
  });
}

test('client: ping-style lines, a summary with mdev, exit 0; --json has the documented fields', async () => {
  const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
  const { port } = await responder.listen('127.0.0.1', 0);
  const text = await tcpping(['client', `127.0.0.1:${port}`, '-c', '3', '-i', '0.01']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^TCPPING 127\.0\.0\.1:\d+ \(echo mode\): 3 pings, timeout 1000 ms$/m);
  assert.match(text.stdout, /^reply from 127\.0\.0\.1:\d+: seq=3 time=[\d.]+ ms connect=[\d.]+ ms reply="PING 3 \d+\.\d{6}"$/m);
  assert.match(
    text.stdout,
    /^--- 127\.0\.0\.1:\d+ tcpping statistics ---\n3 pings transmitted, 3 received, 0% loss, time \d+ms\nrtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m,
  );
  const json = await tcpping(['client', `127.0.0.1:${port}`, '-c', '2', '-i', '0', '--mode', 'connect', '--json']);
  await responder.stop();
  const report = JSON.parse(json.stdout);
  assert.equal(report.target, `127.0.0.1:${port}`);
  assert.equal(report.sent, 2);
  assert.equal(report.received, 2);
  assert.equal(report.lossRatio, 0);
  for (const key of ['min', 'avg', 'max', 'mdev']) assert.equal(typeof report.rtt[key], 'number', key);
});

test('client: nothing answers → the OS error by errno and text, 100% loss, exit 1', async () => {
  const { code, stdout } = await tcpping(['client', `127.0.0.1:${await closedPort()}`, '-c', '2', '-i', '0']);
  assert.equal(code, 1);
  assert.match(stdout, /seq=1 connection refused: ECONNREFUSED \(errno 111\): connection refused/);
  assert.match(stdout, /2 pings transmitted, 0 received, 100% loss/);
});

test('client: a name that does not resolve is exit 2, like ping', async () => {
  const { code, stdout, stderr } = await tcpping(['client', 'nowhere.invalid:11000', '-c', '1', '-W', '0.5']);
  assert.equal(code, 2);
  assert.match(stdout, /seq=1 name not resolved/);
  assert.match(stderr, /cannot resolve nowhere\.invalid/);
});

test('server: the seed line for every ping, then a clean exit on SIGTERM', async () => {
  const port = await closedPort();
  const { child, firstLine, lines } = await startWithFirstLine(process.execPath, [
    '--import',
    'tsx',
    'src/cli/bin.ts',
    'server',
    '--listen',
    `127.0.0.1:${port}`,
    '--drop-rate',
    '0',
  ]);
  assert.equal(firstLine, `tcpping server listening on 127.0.0.1:${port}, dropping 0% of pings`);
  const client = await tcpping(['client', `127.0.0.1:${port}`, '-c', '2', '-i', '0']);
  assert.equal(client.code, 0);
  await waitFor(() => lines.length >= 2, 5000, 'two lines');
  for (const line of lines) assert.match(line, /^Ping received from 127\.0\.0\.1:\d+$/);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('serve: starts on a config file, exports the target on /metrics, stops cleanly on SIGTERM', async () => {
  const [port, web] = [await closedPort(), await closedPort()];
  const file = join(dir, 'serve.yaml');
  writeFileSync(
    file,
    `responder: { listen: "127.0.0.1:${port}" }\nweb: { listenAddress: "127.0.0.1:${web}" }\nicmp: { capture: off }\n` +
      `defaults: { count: 5, intervalMs: 1000, timeoutMs: 200 }\ntargets: [{ name: self, address: "127.0.0.1:${port}" }]\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--config', file], { stdio: 'ignore' });
  try {
    let sent = 0;
    const deadline = Date.now() + 15_000;
    while (sent === 0 && Date.now() < deadline) {
      try {
        const text = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
        sent = parseExposition(text).value('tcpping_pings_sent_total', { target: 'self' });
      } catch {
        // not listening yet
      }
      if (sent === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(sent > 0, 'no pings seen on /metrics');
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});

test('serve: a bad config file is refused with every problem named, exit 2', async () => {
  const { code, stderr } = await tcpping(['serve', '--config', 'test/fixtures/config/bad-targets.yaml']);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 5);
  assert.match(stderr, /targets\[1\]\.timout/);
});
