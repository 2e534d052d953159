import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, loadConfig, loadConfigFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/util/errors.js';

const fixture = (name: string) => `test/fixtures/config/${name}`;

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.code, 'ERR_CONFIG');
    return error.problems;
  }
  assert.fail('the configuration was accepted');
}

const cases: [string, string[]][] = [
  ['misspelled-key.yaml', [`${fixture('misspelled-key.yaml')}: unknown key "responder.dropRat" (did you mean "responder.dropRate"?)`]],
  [
    'bad-values.yaml',
    [
      `${fixture('bad-values.yaml')}: responder.listen: must be HOST:PORT (port 99999 in "127.0.0.1:99999" is outside 1-65535): value was "127.0.0.1:99999"`,
      `${fixture('bad-values.yaml')}: responder.dropRate: must be a number from 0 to 1: value was 1.5`,
      `${fixture('bad-values.yaml')}: defaults.mode: must be one of "echo", "connect": value was "icmp"`,
      `${fixture('bad-values.yaml')}: defaults.timeoutMs: must be an integer from 1 to 600000`,
    ],
  ],
  [
    'bad-targets.yaml',
    [
      `${fixture('bad-targets.yaml')}: targets[0].address: no port in "example.org" (expected HOST:PORT)`,
      `${fixture('bad-targets.yaml')}: unknown key "targets[1].timout" (did you mean "targets[1].timeoutMs"?)`,
      `${fixture('bad-targets.yaml')}: targets[1].name: "web" is already the name of targets[0]`,
      `${fixture('bad-targets.yaml')}: targets[2].name: required, a non-empty string`,
      `${fixture('bad-targets.yaml')}: targets[3]: must be a mapping with at least "name" and "address"`,
    ],
  ],
  ['top-level-list.yaml', [`${fixture('top-level-list.yaml')}: the top level must be a mapping of keys`]],
  [
    'not-yaml.yaml',
    [
      `${fixture('not-yaml.yaml')}: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1`,
    ],
  ],
];

for (const [file, expected] of cases) {
  test(`${file} is refused with every problem named`, () => {
    assert.deepEqual(
      problemsOf(() => loadConfigFile(fixture(file), {})),
      expected,
    );
  });
}

test('a missing file is named with the reason', () => {
  const [problem] = problemsOf(() => loadConfigFile(fixture('absent.yaml'), {}));
  assert.match(problem ?? '', /^test\/fixtures\/config\/absent\.yaml: cannot read the file: ENOENT/);
});

test('JSON files load, targets inherit defaults and keep their overrides', () => {
  const config = loadConfigFile(fixture('valid.json'), {});
  assert.deepEqual(
    config.targets.map((t) => [t.name, t.host, t.port, t.mode, t.count, t.timeoutMs]),
    [
      ['self', '127.0.0.1', 11000, 'echo', 5, 1000],
      ['v6', '::1', 11000, 'connect', 5, 250],
    ],
  );
  assert.ok(Object.isFrozen(config.targets[0]));
});

test('the shipped default file is the seed demo and equals the built-in defaults', () => {
  const shipped = loadConfigFile('config/default.yaml', {});
  const builtIn = defaultConfig({});
  assert.deepEqual({ ...shipped, source: '' }, { ...builtIn, source: '' });
  assert.equal(shipped.responder.dropRate, 0.2);
  assert.deepEqual(shipped.responder.listen, { host: '127.0.0.1', port: 11000 });
  assert.deepEqual(
    shipped.targets.map((t) => [t.name, t.address, t.count, t.timeoutMs]),
    [['self', '127.0.0.1:11000', 20, 1000]],
  );
});

test('environment variables override scalar keys, coerced to the key type', () => {
  const config = loadConfig({ responder: { dropRate: 0.5 } }, 'env-test', {
    TCPPING_RESPONDER_DROP_RATE: '0.05',
    TCPPING_DEFAULTS_COUNT: '7',
    TCPPING_WEB_ENABLE_LIFECYCLE: 'true',
  });
  assert.equal(config.responder.dropRate, 0.05);
  assert.equal(config.defaults.count, 7);
  assert.equal(config.targets[0]?.count, 7);
  assert.equal(config.web.enableLifecycle, true);
});

test('a bad environment value is named with its variable', () => {
  assert.deepEqual(
    problemsOf(() => loadConfig({}, 'env-test', { TCPPING_RESPONDER_DROP_RATE: 'lots' })),
    [
      'env-test: responder.dropRate: must be a number from 0 to 1: value was "lots" (from environment variable TCPPING_RESPONDER_DROP_RATE)',
    ],
  );
});

test('a section that is not a mapping is refused, not merged', () => {
  assert.deepEqual(
    problemsOf(() => loadConfig({ defaults: 3 }, 'x', {})),
    [
      'x: defaults: must be a mapping of keys (mode, count, intervalMs, pingIntervalMs, timeoutMs, reuseConnection, degradedLossRatio, family)',
    ],
  );
});

test('without a targets key, the self target follows responder.listen (a wildcard through loopback)', () => {
  const moved = loadConfig({ responder: { listen: '0.0.0.0:12000' } }, 'test', {});
  assert.deepEqual(
    moved.targets.map((t) => [t.name, t.address]),
    [['self', '127.0.0.1:12000']],
  );
  assert.equal(loadConfig({ responder: { listen: '[::]:12000' } }, 'test', {}).targets[0]?.address, '[::1]:12000');
  assert.equal(loadConfig({ responder: { enabled: false } }, 'test', {}).targets.length, 0);
  assert.equal(loadConfig({ responder: { listen: '127.0.0.1:12000' }, targets: [] }, 'test', {}).targets.length, 0);
  const fromEnv = loadConfig({}, 'test', { TCPPING_RESPONDER_LISTEN: '127.0.0.1:12001' });
  assert.equal(fromEnv.targets[0]?.address, '127.0.0.1:12001');
});
