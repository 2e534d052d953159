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

const usageErrors: [string[], RegExp][] = [
  [['client'], /^tcpping client: missing HOST\[:PORT\] \(see tcpping client --help\)$/],
  [['client', '127.0.0.1', '-c', '-1'], /^tcpping client: -c "-1": must be a whole number from 0 to \d+ \(0: until Ctrl-C\)/],
  [['client', '127.0.0.1', '-c'], /^tcpping client: -c needs a value: -c COUNT/],
  [['client', '127.0.0.1', '--mode', 'icmp'], /^tcpping client: -m "icmp": must be echo or connect/],
  [['client', '127.0.0.1', '--bogus'], /^tcpping client: unknown flag --bogus \(see tcpping client --help\)$/],
  [['client', '127.0.0.1', '-4', '-6'], /^tcpping client: -4 and -6 exclude each other/],
  [['client', '127.0.0.1:99999'], /port 99999 in "127\.0\.0\.1:99999" is outside 1-65535/],
  [['server', '--drop-rate', '2'], /^tcpping server: --drop-rate "2": must be a number from 0 to 1/],
  [['check-config'], /^tcpping check-config: missing FILE\.\.\./],
  [['trace'], /^tcpping trace: missing HOST\[:PORT\]/],
  [
    ['trace', '127.0.0.1', '-W', '2'],
    /^tcpping trace: -W "2": must be a number from 0\.01 to 1 \(at most 1, the kernel's first SYN retransmission\)/,
  ],
  [['trace', '127.0.0.1', '--source-port', '80'], /^tcpping trace: --source-port "80": must be a whole number from 1024 to 65535/],
  [['trace', '127.0.0.1', '-4', '-6'], /^tcpping trace: -4 and -6 exclude each other/],
  [['frobnicate'], /^tcpping: unknown command "frobnicate": the commands are serve, server, client, trace, check-config/],
];
for (const [args, message] of usageErrors) {
  test(`tcpping ${args.join(' ')}: exit 2, one line naming the flag and the fix`, async () => {
    const { code, stderr } = await tcpping(args);
    assert.equal(code, 2);
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    assert.match(stderr.trimEnd(), message);
  });
}

test('help for every command: `tcpping help CMD` and `tcpping CMD --help` list every flag with its default', async () => {
  const overview = await tcpping(['--help']);
  assert.equal(overview.code, 0);
  for (const command of ['serve', 'server', 'client', 'trace', 'check-config']) {
    assert.match(overview.stdout, new RegExp(`^  ${command} `, 'm'));
    const [viaHelp, viaFlag, viaShort] = await Promise.all([
      tcpping(['help', command]),
      tcpping([command, '--help']),
      tcpping([command, 'x', '-h']),
    ]);
    for (const ran of [viaHelp, viaFlag, viaShort]) assert.equal(ran.code, 0, ran.stderr);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
    assert.equal(viaShort.stdout, viaHelp.stdout);
    assert.match(viaHelp.stdout, new RegExp(`^Usage: tcpping ${command} `));
  }
  const client = (await tcpping(['help', 'client'])).stdout;
  const { count, timeoutMs, mode } = builtInDefaults.defaults;
  assert.match(client, new RegExp(`-c, --count COUNT .*\\(default ${count}`));
  assert.match(client, /-i, --interval SECONDS .*\(default 1\)/);
  assert.match(client, new RegExp(`-W, --timeout SECONDS .*\\(default ${timeoutMs / 1000}\\)`));
  assert.match(client, new RegExp(`-m, --mode MODE .*\\(default ${mode}\\)`));
  for (const flag of ['-w, --deadline', '-4, --ipv4', '-6, --ipv6', '-q, --quiet', '-D, --timestamps', '--no-icmp', '--json', '--reuse']) {
    assert.ok(client.includes(flag), flag);
  }
  const trace = (await tcpping(['help', 'trace'])).stdout;
  const t = builtInDefaults.trace;
  assert.match(trace, new RegExp(`-q, --queries COUNT .*\\(default ${t.probesPerHop}\\)`));
  assert.match(trace, new RegExp(`-m, --max-hops HOPS .*\\(default ${t.maxHops}\\)`));
  assert.match(trace, new RegExp(`-W, --timeout SECONDS .*\\(default ${t.probeTimeoutMs / 1000}\\)`));
  assert.match(trace, /No privilege needed: no raw socket/);
  const server = (await tcpping(['help', 'server'])).stdout;
  assert.match(server, /--drop-rate RATIO .*\(default 0\.2\)/);
  assert.match(server, /--listen HOST:PORT .*\(default 127\.0\.0\.1:11000\)/);
});

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
  assert.match(stdout, /seq=1 connection refused \(ECONNREFUSED, errno 111\)$/m);
  assert.match(stdout, /2 pings transmitted, 0 received, 100% loss/);
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

test('serve: a bad config file is refused with every problem named, as log lines in the chosen format, exit 2', async () => {
  const json = await tcpping(['serve', '--config', 'test/fixtures/config/bad-targets.yaml']);
  assert.equal(json.code, 2);
  assert.equal(json.stderr, '');
  const records = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(records.length, 6, json.stdout);
  assert.ok(records.slice(0, 5).every((r) => r.level === 50 && /bad-targets\.yaml: /.test(r.msg)));
  assert.match(records[1].msg, /targets\[1\]\.timout/);
  assert.equal(records[5].level, 60);
  assert.match(records[5].msg, /cannot start: 5 problems in the configuration/);
  const logfmt = await tcpping(['serve', '--config', 'test/fixtures/config/bad-targets.yaml', '--log.format', 'logfmt']);
  assert.equal(logfmt.code, 2);
  for (const line of logfmt.stdout.trim().split('\n')) assert.match(line, /^ts=\S+ level=(error|fatal) msg="/);
});

test('serve: an address in use is one log line in the configured format, not plain text beside it, exit 2', async () => {
  const busy = new Responder({ ...builtInDefaults.responder });
  const { port } = await busy.listen('127.0.0.1', 0);
  try {
    const file = join(dir, 'busy.yaml');
    writeFileSync(file, `log: { format: logfmt }\nresponder: { listen: "127.0.0.1:${port}" }\nicmp: { capture: off }\n`);
    const { code, stdout, stderr } = await tcpping(['serve', '--config', file]);
    assert.equal(code, 2);
    assert.equal(stderr, '');
    const fatal = stdout.split('\n').filter((l) => l.includes('level=fatal'));
    assert.equal(fatal.length, 1, stdout);
    assert.match(
      fatal[0] ?? '',
      new RegExp(`msg="cannot start: cannot listen for the ping responder on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
    );
  } finally {
    await busy.stop();
  }
});
