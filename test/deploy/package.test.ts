import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoPath } from './dockerfile.js';

// `npm pack` as a release would run it (prepack builds dist/), then the tarball installed the way
// docs/deploy.md tells for systemd: `npm install -g --prefix /opt/tcpping`, with every compiler
// hidden (.ci/no-compiler.sh), so the optional raw-socket addon cannot build.

const ci = process.env.CI === 'true';
const canHide = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v unshare']).status === 0;
if (!canHide && ci) throw new Error('CI=true: the package test needs root and unshare to hide the compiler');
if (!canHide) console.warn('\n*** SKIPPING the no-compiler global install in test/deploy/package.test.ts: needs root and unshare ***\n');

let tmp = '';
let tarball = '';
let files: string[] = [];
const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcpping-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: repoPath('.'), env, encoding: 'utf8', timeout: 120_000 }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, packed[0]?.filename ?? '');
  files = (packed[0]?.files ?? []).map((f) => f.path);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('npm pack ships the built CLI, the licence, the config, the unit and the dashboard; no sources or tests', () => {
  for (const path of [
    'package.json',
    'LICENSE',
    'README.md',
    'dist/cli/bin.js',
    'dist/service.js',
    'config/default.yaml',
    'deploy/systemd/tcpping.service',
    'grafana/dashboards/tcpping.json',
  ]) {
    assert.ok(files.includes(path), `${path} is not in the package`);
  }
  assert.deepEqual(
    files.filter((f) => /^(src|test|bench)\//.test(f)),
    [],
  );
  // raw-socket travels in the package with the nan that builds on every Node line (see package.json
  // bundleDependencies): a global install does not apply our overrides, and nan 2.19 fails on Node 24.
  assert.deepEqual([...new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/')[1]))].sort(), [
    'nan',
    'raw-socket',
  ]);
  assert.ok(files.includes('node_modules/raw-socket/src/raw.cc'));
});

test('a global install under a prefix, with no compiler: a tcpping command that runs, without the optional addon', {
  skip: !canHide,
}, () => {
  const prefix = join(tmp, 'opt/tcpping');
  const install = spawnSync(
    repoPath('.ci/no-compiler.sh'),
    ['npm', 'install', '-g', '--prefix', prefix, '--allow-scripts=raw-socket', '--prefer-offline', '--loglevel=error', tarball],
    { env, encoding: 'utf8', timeout: 180_000 },
  );
  assert.equal(install.status, 0, install.stderr);
  const bin = join(prefix, 'bin/tcpping');
  // The command links into the prefix, not into a checkout a unit's ProtectHome= would hide.
  assert.ok(realpathSync(bin).startsWith(realpathSync(prefix)), `${bin} → ${readlinkSync(bin)}`);
  assert.equal(existsSync(join(prefix, 'lib/node_modules/tcpping/node_modules/raw-socket/build/Release/raw.node')), false);
  const { version } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
  assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }), `tcpping ${version}\n`);
  const check = spawnSync(bin, ['check-config', join(prefix, 'lib/node_modules/tcpping/config/default.yaml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const client = spawnSync(bin, ['client', '-c', '1', '-W', '0.2', '127.0.0.1:1'], { encoding: 'utf8' });
  assert.equal(client.status, 1);
  assert.match(client.stderr, /^tcpping client: ICMP capture off: the raw-socket addon is not installed/);
});
