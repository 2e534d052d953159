import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, test } from 'node:test';
import { closedPort } from '../helpers/servers.js';
import { copies, imageCommand, repoPath, runs, stages, workdir } from './dockerfile.js';

// Performs the Dockerfile's build steps outside Docker (there is no container engine here): the
// build stage's COPYs from the working tree (what `docker build .` sends), its RUN lines verbatim
// except apt-get, then the runtime stage's COPYs into a separate directory standing for /app.
// The result is started with the image's ENTRYPOINT and CMD, paths mapped into the temp dir.

const ci = process.env.CI === 'true';
const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['tini', 'setcap', 'setpriv'].filter((t) => !has(t));
const privilegeGap = !isRoot
  ? 'needs root (to run as another user and set file capabilities)'
  : missing.length > 0
    ? `needs ${missing.join(', ')} (apt-get install -y tini libcap2-bin util-linux)`
    : undefined;
if (privilegeGap && ci) throw new Error(`CI=true: image steps test ${privilegeGap}`);
if (privilegeGap) console.warn(`\n*** SKIPPING the privileged parts of test/deploy/image-steps.test.ts: ${privilegeGap} ***\n`);

const [build, runtime] = stages;
const nobody = 65534;
let tmp = '';
let app = '';

/** Maps a path inside the image to the temp dir. */
function mapPath(path: string): string {
  return path
    .replaceAll('/usr/local/bin/node', `${tmp}/bin/node`)
    .replaceAll('/usr/local/lib/tcpping/', `${tmp}/lib/`)
    .replaceAll('/app/', `${app}/`)
    .replaceAll('/etc/', `${tmp}/etc/`);
}

before(async () => {
  assert.ok(build && runtime);
  tmp = mkdtempSync(join(tmpdir(), 'tcpping-image-'));
  chmodSync(tmp, 0o755);
  const buildDir = join(tmp, 'build');
  app = join(tmp, 'app');
  mkdirSync(buildDir);
  for (const copy of copies(build).filter((c) => c.from === undefined)) {
    for (const source of copy.sources) {
      const target = copy.dest.endsWith('/') ? join(buildDir, copy.dest, posix.basename(source)) : join(buildDir, copy.dest);
      cpSync(repoPath(source), target, { recursive: true });
    }
  }
  // The node on PATH builds the addon: the one running these tests (CI runs them on each Node line).
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
  for (const command of runs(build).filter((r) => !r.startsWith('apt-get'))) {
    execFileSync('sh', ['-c', command], { cwd: buildDir, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 240_000 });
  }
  assert.equal(workdir(build), '/app');
  for (const copy of copies(runtime)) {
    for (const source of copy.sources) {
      const from = copy.from === 'build' ? join(buildDir, posix.relative('/app', source)) : repoPath(source);
      const to = copy.dest.startsWith('/') ? mapPath(copy.dest) : join(app, copy.dest);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
  rmSync(buildDir, { recursive: true, force: true });
  // The image's /usr/local/bin/node: this node, copied where the unprivileged user can run it.
  mkdirSync(join(tmp, 'bin'));
  copyFileSync(process.execPath, join(tmp, 'bin/node'));
  chmodSync(join(tmp, 'bin/node'), 0o755);
  if (!privilegeGap) {
    // What the runtime stage's RUN does: a copy of node carrying CAP_NET_RAW as a file capability.
    mkdirSync(join(tmp, 'lib'));
    copyFileSync(process.execPath, join(tmp, 'lib/node-netraw'));
    chmodSync(join(tmp, 'lib/node-netraw'), 0o755);
    execFileSync('setcap', ['cap_net_raw+ep', join(tmp, 'lib/node-netraw')]);
  }
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  web: number;
  output: () => string;
}

/** Starts the image's command as USER would run it (nobody here), with the shipped config on free loopback ports. */
async function start(setprivArgs: string[] | undefined): Promise<Started> {
  const [responder, web] = [await closedPort(), await closedPort()];
  const configFile = mapPath('/etc/tcpping/tcpping.yaml');
  const shipped = readFileSync(repoPath('config/container.yaml'), 'utf8');
  assert.match(shipped, /0\.0\.0\.0:11000/);
  writeFileSync(
    configFile,
    shipped
      .replace('0.0.0.0:11000', `127.0.0.1:${responder}`)
      .replace('0.0.0.0:11001', `127.0.0.1:${web}`)
      .replace('127.0.0.1:11000', `127.0.0.1:${responder}`),
  );
  let argv = imageCommand.map(mapPath);
  if (!has('tini')) argv = argv.slice(2); // outside CI only: privilegeGap already warned
  const [command, ...args] = setprivArgs ? ['setpriv', ...setprivArgs, ...argv] : argv;
  const child = spawn(command ?? '', args, {
    cwd: app,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NODE_ENV: 'production', HOME: '/nonexistent' },
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const started: Started = { child, web, output: () => output };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`exited ${child.exitCode} before serving:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${web}/-/healthy`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return started;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.fail(`/-/healthy did not answer within 15 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop({ child, output }: Started): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, `SIGTERM must stop it with exit 0:\n${output()}`);
}

async function captureEnabled(web: number): Promise<string> {
  const metrics = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
  return /^tcpping_icmp_capture_enabled (\S+)$/m.exec(metrics)?.[1] ?? assert.fail('no tcpping_icmp_capture_enabled');
}

const asNobody = ['--reuid', String(nobody), '--regid', String(nobody), '--clear-groups'];

test('the runtime directory holds production dependencies only, and package.json beside dist/', () => {
  for (const path of ['package.json', 'dist/cli/bin.js', 'node_modules/raw-socket/build/Release/raw.node', 'node_modules/prom-client']) {
    assert.ok(existsSync(join(app, path)), `${path} is missing`);
  }
  for (const dev of ['typescript', 'tsx', '@biomejs/biome', 'supertest', 'dockerfile-utils'])
    assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} was not pruned`);
  assert.ok(!existsSync(join(app, 'src')), 'sources are not copied into the runtime');
});

/**
 * Polls /-/ready (bounded: 10 s). /-/healthy answers once the web port listens, which is before the
 * targets are applied (tens of ms later): a target's series are there once it is ready.
 */
async function ready(web: number): Promise<void> {
  const answers = () =>
    fetch(`http://127.0.0.1:${web}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
  for (let i = 0; i < 200; i++) {
    if (await answers()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail('/-/ready did not answer 200 within 10 s');
}

test('started as the image starts it, it serves /-/healthy, /-/ready and /metrics, and SIGTERM stops it with exit 0', async () => {
  const service = await start(privilegeGap ? undefined : asNobody);
  try {
    await ready(service.web);
    const metrics = await fetch(`http://127.0.0.1:${service.web}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /^tcpping_build_info\{version="\d+\.\d+\.\d+"/m);
    assert.match(text, /^tcpping_target_up\{target="self"\}/m);
  } finally {
    await stop(service);
  }
});

test('as a non-root user, the file capability turns ICMP capture on', { skip: privilegeGap }, async () => {
  const service = await start(asNobody);
  try {
    assert.equal(await captureEnabled(service.web), '1', service.output());
  } finally {
    await stop(service);
  }
});

test('without NET_RAW in the bounding set (--cap-drop ALL) it still starts, with capture off', { skip: privilegeGap }, async () => {
  // Exec'ing node-netraw would fail with EPERM here; the entrypoint falls back to plain node.
  const service = await start([...asNobody, '--bounding-set', '-net_raw']);
  try {
    assert.equal(await captureEnabled(service.web), '0');
  } finally {
    await stop(service);
  }
});

test('under no-new-privileges the file capability is ignored: it starts, with capture off', { skip: privilegeGap }, async () => {
  const service = await start([...asNobody, '--no-new-privs']);
  try {
    assert.equal(await captureEnabled(service.web), '0');
  } finally {
    await stop(service);
  }
});
