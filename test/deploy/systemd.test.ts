import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serviceNodeFlags } from '../../src/cli/node-flags.js';
import { repoPath } from './dockerfile.js';

const unitPath = repoPath('deploy/systemd/tcpping.service');
const unitText = readFileSync(unitPath, 'utf8');

/** The unit as systemd reads it: section → key → every value (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a key=value line in a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get('Service') ?? assert.fail('no [Service]');
const value = (key: string) => service.get(key)?.at(-1);

test('systemd-analyze verify accepts the unit', (t) => {
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0) {
    if (process.env.CI === 'true') assert.fail('CI=true: systemd-analyze is missing (apt-get install -y systemd)');
    console.warn('\n*** SKIPPING systemd-analyze verify: not installed (apt-get install -y systemd) ***\n');
    t.skip('systemd-analyze is not installed');
    return;
  }
  // verify checks that ExecStart's binary exists: point it at this node running the built CLI.
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-unit-'));
  try {
    const copy = join(dir, 'tcpping.service');
    writeFileSync(
      copy,
      unitText.replace('ExecStart=/opt/tcpping/bin/tcpping ', `ExecStart=${process.execPath} ${repoPath('dist/cli/bin.js')} `),
    );
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.equal(result.stderr.trim(), '', 'no warning');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('it runs `tcpping serve` on /etc/tcpping/tcpping.yaml and reloads with SIGHUP', () => {
  // node, with the service's flags (src/cli/node-flags.ts), on the file /opt/tcpping/bin/tcpping links to.
  assert.equal(
    value('ExecStart'),
    `/usr/bin/env node ${serviceNodeFlags.join(' ')} /opt/tcpping/lib/node_modules/tcpping/dist/cli/bin.js serve --config /etc/tcpping/tcpping.yaml`,
  );
  assert.equal(value('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(value('Type'), 'simple');
  assert.equal(unit.get('Install')?.get('WantedBy')?.[0], 'multi-user.target');
});

test('a dedicated user with CAP_NET_RAW only, kept under NoNewPrivileges as an ambient capability', () => {
  assert.equal(value('DynamicUser'), 'yes');
  assert.equal(service.get('User'), undefined);
  assert.equal(value('AmbientCapabilities'), 'CAP_NET_RAW');
  assert.equal(value('CapabilityBoundingSet'), 'CAP_NET_RAW');
  assert.equal(value('NoNewPrivileges'), 'yes');
});

test('hardened, without the options that would break raw ICMP sockets', () => {
  for (const [key, expected] of [
    ['ProtectSystem', 'strict'],
    ['PrivateTmp', 'yes'],
    ['ProtectHome', 'yes'],
    ['RestrictNamespaces', 'yes'],
    ['SystemCallArchitectures', 'native'],
    ['MemoryDenyWriteExecute', 'no'],
  ]) {
    assert.equal(value(key ?? ''), expected, key);
  }
  assert.deepEqual(value('RestrictAddressFamilies')?.split(/\s+/).sort(), ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  assert.notEqual(value('PrivateNetwork'), 'yes', 'an empty network namespace has nothing to ping');
  const filters = service.get('SystemCallFilter') ?? [];
  assert.ok(filters.includes('@system-service'));
  assert.ok(!filters.some((f) => f.startsWith('~') && /@network-io|\bsocket\b/.test(f)), 'socket(2) must stay allowed');
  assert.equal(value('SystemCallErrorNumber'), 'EPERM');
});
