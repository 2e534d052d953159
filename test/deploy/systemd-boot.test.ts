import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serviceNodeFlags } from '../../src/cli/node-flags.js';
import { parseExposition } from '../helpers/exposition.js';
import { closedPort } from '../helpers/servers.js';
import { repoPath } from './dockerfile.js';

// The systemd unit, started by a real systemd as PID 1: a Debian 12 tree made by debootstrap
// (.ci/nspawn-tree.sh) booted with systemd-nspawn, the package installed as docs/deploy.md says
// (npm pack, then npm install -g --prefix /opt/tcpping), deploy/systemd/tcpping.service as it is
// in the repository. The container shares the host's network, so the test reads /metrics from here.

const root = process.env.TCPPING_NSPAWN_ROOT ?? '/var/tmp/tcpping-nspawn/bookworm';
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const gap =
  process.getuid?.() !== 0
    ? 'needs root'
    : !has('systemd-nspawn')
      ? 'needs systemd-nspawn (apt-get install -y systemd-container)'
      : !existsSync(join(root, 'lib/systemd/systemd'))
        ? `needs a Debian tree at ${root} (.ci/nspawn-tree.sh makes it; apt-get install -y debootstrap)`
        : undefined;
if (gap && process.env.CI === 'true') throw new Error(`CI=true: the systemd boot test ${gap}`);
if (gap) console.warn(`\n*** SKIPPING test/deploy/systemd-boot.test.ts: ${gap} ***\n`);

let tmp = '';
let container: ChildProcess | undefined;
let exited: Promise<unknown> = Promise.resolve();
let log = '';
let web = 0;

before(async () => {
  if (gap) return;
  tmp = mkdtempSync(join(tmpdir(), 'tcpping-boot-'));
  const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: repoPath('.'), env, encoding: 'utf8', timeout: 120_000 }),
  ) as { filename: string }[];
  const prefix = join(tmp, 'opt/tcpping');
  // With a compiler here, the approved install script builds the addon for this node.
  execFileSync(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--allow-scripts=raw-socket',
      '--prefer-offline',
      '--loglevel=error',
      join(tmp, packed?.filename ?? ''),
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 },
  );
  const [responder, httpPort] = [await closedPort(), await closedPort()];
  web = httpPort;
  mkdirSync(join(tmp, 'etc'));
  writeFileSync(
    join(tmp, 'etc/tcpping.yaml'),
    `responder: { listen: "127.0.0.1:${responder}", dropRate: 0 }\nweb: { listenAddress: "127.0.0.1:${web}" }\n` +
      'defaults: { count: 3, intervalMs: 1000, timeoutMs: 200 }\n',
  );
  // --volatile=overlay: the tree stays as it was; systemd.wants= (PID 1's command line) enables the unit.
  container = spawn(
    'systemd-nspawn',
    [
      '--quiet',
      '--register=no',
      '--keep-unit',
      `--directory=${root}`,
      '--volatile=overlay',
      `--bind-ro=${process.execPath}:/usr/bin/node`,
      `--bind-ro=${prefix}:/opt/tcpping`,
      `--bind-ro=${join(tmp, 'etc/tcpping.yaml')}:/etc/tcpping/tcpping.yaml`,
      `--bind-ro=${repoPath('deploy/systemd/tcpping.service')}:/etc/systemd/system/tcpping.service`,
      '--boot',
      'systemd.wants=tcpping.service',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  container.stdout?.on('data', (d) => {
    log += d;
  });
  container.stderr?.on('data', (d) => {
    log += d;
  });
  exited = new Promise((resolve) => container?.once('exit', resolve));
});

after(async () => {
  if (container && container.exitCode === null) {
    container.kill('SIGTERM'); // nspawn asks the container's systemd to power off
    const timer = setTimeout(() => container?.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** /metrics from the unit's service, once it has pinged; bounded. */
async function scrapeWhenPinging(): Promise<ReturnType<typeof parseExposition>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const samples = parseExposition(await (await fetch(`http://127.0.0.1:${web}/metrics`)).text());
      if (samples.value('tcpping_pings_sent_total', { target: 'self' }) >= 3) return samples;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || container?.exitCode !== null) assert.fail(`the unit did not serve /metrics:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The service's process, seen from the host: its uid and capabilities, its command line, and whether its exec was secure. */
function serviceProcess(): { status: Record<string, string>; cmdline: string[]; secureExec: bigint | undefined } {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmdline.includes('/opt/tcpping/lib/node_modules/tcpping/dist/cli/bin.js') || !cmdline.includes('serve')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return {
        status: Object.fromEntries(status.split('\n').map((line) => line.split(/:\s+/, 2) as [string, string])),
        cmdline,
        secureExec: auxvEntry(readFileSync(`/proc/${pid}/auxv`), AT_SECURE),
      };
    } catch {
      // gone meanwhile
    }
  }
  return assert.fail('no tcpping serve process found');
}

/** The auxiliary vector's AT_SECURE: non-zero when the kernel ran the exec in secure mode, where node ignores NODE_OPTIONS. */
const AT_SECURE = 23n;

/** An entry of a 64-bit auxiliary vector (pairs of type and value, ending with type 0). */
function auxvEntry(auxv: Buffer, type: bigint): bigint | undefined {
  for (let at = 0; at + 16 <= auxv.length; at += 16) {
    const key = auxv.readBigUInt64LE(at);
    if (key === 0n) return undefined;
    if (key === type) return auxv.readBigUInt64LE(at + 8);
  }
  return undefined;
}

test('systemd as PID 1 starts the unit; it pings, captures ICMP as a dynamic user holding CAP_NET_RAW alone', {
  skip: gap ?? false,
  timeout: 120_000,
}, async () => {
  const samples = await scrapeWhenPinging();
  assert.equal(samples.value('tcpping_icmp_capture_enabled', {}), 1, 'AmbientCapabilities=CAP_NET_RAW reached the process');
  assert.equal(samples.value('tcpping_pings_lost_total', { target: 'self', reason: 'timeout' }), 0);
  const { status, cmdline, secureExec } = serviceProcess();
  assert.notEqual(status.Uid?.split(/\s+/)[0], '0', 'DynamicUser=yes: not root');
  assert.equal(status.CapEff, '0000000000002000', 'CAP_NET_RAW (bit 13) and nothing else');
  assert.equal(status.CapAmb, '0000000000002000');
  assert.equal(status.NoNewPrivs, '1');
  // The unit's ExecStart gives node the flags of src/cli/node-flags.ts; and the exec was not secure
  // (ambient capabilities do not make it so; file capabilities would).
  assert.deepEqual(cmdline.slice(1, 1 + serviceNodeFlags.length), [...serviceNodeFlags], `command line: ${cmdline.join(' ')}`);
  assert.equal(secureExec, 0n, 'AT_SECURE');
});
