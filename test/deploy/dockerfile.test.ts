import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validate } from 'dockerfile-utils';
import { loadConfigFile } from '../../src/config/load.js';
import { copies, dockerfile, dockerfileText, execForm, flags, imageCommand, only, repoPath, runs, runtime, stages } from './dockerfile.js';

// No container engine runs here: these rules are checked on the parsed Dockerfile, and
// image-steps.test.ts performs its build steps and starts the result.

const supportedLts = ['22', '24'];
const configPath = '/etc/tcpping/tcpping.yaml';

test('the Dockerfile parses with no diagnostic from dockerfile-utils', () => {
  const problems = validate(dockerfileText).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  assert.deepEqual(problems, []);
});

test('it is multi-stage: the addon and TypeScript are built in "build", the runtime copies only the results', () => {
  assert.deepEqual(
    stages.map((s) => s.name),
    ['build', 'runtime'],
  );
  const build = stages[0] ?? assert.fail();
  const buildRuns = runs(build).join('\n');
  for (const tool of ['python3', 'make', 'g++'])
    assert.match(buildRuns, new RegExp(`install .*${tool.replace('+', '\\+')}`), `${tool} for node-gyp`);
  assert.match(buildRuns, /^npm ci\b/m);
  assert.match(buildRuns, /^npm run build$/m);
  assert.match(buildRuns, /^npm prune --omit=dev\b/m);
  const fromBuild = copies(runtime).filter((c) => c.from === 'build');
  assert.deepEqual(fromBuild.flatMap((c) => c.sources).sort(), ['/app/dist', '/app/node_modules', '/app/package.json']);
  assert.ok(
    runs(runtime).every((r) => !/\bnpm\b|\bg\+\+|\bpython3\b/.test(r)),
    'the runtime stage installs no build tools',
  );
});

test('both stages use a supported Node.js LTS line on a slim Debian image', () => {
  for (const stage of stages) {
    assert.match(stage.image, /^node:(\d+)-bookworm-slim$/, stage.name);
    assert.ok(supportedLts.includes(stage.image.split(/[:-]/)[1] ?? ''), `${stage.image} is not one of ${supportedLts}`);
  }
  assert.equal(new Set(stages.map((s) => s.image)).size, 1, 'the addon must be built for the Node.js that runs it');
});

test('it runs as a non-root user, with tini as PID 1 and tcpping as the command', () => {
  const user = only(runtime, 'USER').at(-1)?.getArgumentsContent() ?? assert.fail('no USER');
  assert.doesNotMatch(user, /^(root|0)(:|$)/);
  assert.deepEqual(imageCommand.slice(0, 2), ['/usr/bin/tini', '--']);
  assert.match(runs(runtime).join('\n'), /install .*\btini\b/);
  // docker-compose.yml and docs pass `serve --config ...` as arguments to the tcpping command.
  assert.deepEqual(execForm(only(runtime, 'CMD').at(-1)), ['serve', '--config', configPath]);
  assert.ok(imageCommand.some((a) => a.includes('/app/dist/cli/bin.js "$@"')));
});

test('CAP_NET_RAW comes from a file capability, used only when the bounding set allows it', () => {
  const install = runs(runtime).join('\n');
  assert.match(install, /setcap cap_net_raw\+ep \/usr\/local\/lib\/tcpping\/node-netraw/);
  assert.match(install, /purge .*libcap2-bin/, 'setcap is not left in the image');
  const script = imageCommand[imageCommand.indexOf('-c') + 1] ?? assert.fail('no sh -c');
  assert.match(script, /CapBnd/);
  assert.match(script, /0x\$b >> 13 & 1/, 'CAP_NET_RAW is capability 13');
});

test('a HEALTHCHECK asks /-/healthy with node (no curl in slim images)', () => {
  const [healthcheck, ...more] = only(runtime, 'HEALTHCHECK');
  assert.equal(more.length, 0);
  const command = execForm(healthcheck);
  assert.equal(command[0], '/usr/local/bin/node');
  assert.match(command.join(' '), /fetch\('http:\/\/127\.0\.0\.1:11001\/-\/healthy'\)/);
  const options = Object.fromEntries(flags(healthcheck).map((f) => [f.getName(), f.getValue()]));
  assert.deepEqual(Object.keys(options).sort(), ['interval', 'retries', 'start-period', 'timeout']);
});

test('it exposes the responder and web ports of the config it ships at /etc/tcpping/tcpping.yaml', () => {
  const exposed = only(runtime, 'EXPOSE').flatMap((i) => i.getArguments().map((a) => a.getValue()));
  const shipped = copies(runtime).find((c) => c.dest === configPath) ?? assert.fail(`nothing copied to ${configPath}`);
  const config = loadConfigFile(repoPath(shipped.sources[0] ?? ''), {});
  assert.equal(config.responder.listen.host, '0.0.0.0', 'reachable from outside the container');
  assert.deepEqual(exposed, [String(config.responder.listen.port), String(config.web.listenAddress.port)]);
  assert.deepEqual(exposed, ['11000', '11001']);
});

test('no ADD, no URL or unpinned source, every copied path exists and survives .dockerignore', () => {
  assert.equal(dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ADD').length, 0);
  assert.doesNotMatch(dockerfileText, /\b(curl|wget)\b|https?:\/\/(?!127\.0\.0\.1)/);
  const allowed = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''));
  for (const stage of stages) {
    for (const copy of copies(stage).filter((c) => c.from === undefined)) {
      for (const source of copy.sources) {
        assert.ok(existsSync(repoPath(source)), `${source} does not exist`);
        assert.ok(allowed.includes(source.replace(/\/$/, '')), `${source} is excluded by .dockerignore`);
      }
    }
  }
});
