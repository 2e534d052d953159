import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { withGeneratedParts } from '../../scripts/readme.js';
import { changedKeys } from '../../src/config/changes.js';
import { builtInDefaults, loadConfig } from '../../src/config/load.js';
import { envName, settingPaths, valueAt } from '../../src/config/schema.js';
import { ConfigError } from '../../src/util/errors.js';

test('the README shows the configuration table generated from the schema (npm run readme rewrites it)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, withGeneratedParts(readme), 'README.md is out of date: run npm run readme');
});

/** A value of the right type that the check refuses, to prove each key is validated by its own check. */
const wrongType = (example: unknown): unknown => (typeof example === 'string' ? 42 : typeof example === 'number' ? 'x' : 'x');

for (const { path, setting } of settingPaths()) {
  const [section, key] = path.split('.') as [string, string | undefined];
  const document = (value: unknown) => (key === undefined ? { [section]: value } : { [section]: { [key]: value } });

  test(`${path}: its default loads, a wrong value is refused by name, its environment variable is read`, () => {
    assert.deepEqual(valueAt(loadConfig(document(setting.default), 'x', {}), path), valueAt(builtInDefaults, path));
    assert.throws(
      () => loadConfig(document(wrongType(setting.default)), 'x', {}),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(`x: ${path}`)),
    );
    const env = envName(path, setting);
    if (env === undefined) {
      assert.ok(Array.isArray(setting.default), 'only lists have no environment variable');
      return;
    }
    assert.match(env, /^TCPPING_[A-Z_]+$/);
    const fromEnv = loadConfig({}, 'x', { [env]: String(setting.default) });
    assert.deepEqual(fromEnv, loadConfig({}, 'x', {}), `${env}=${String(setting.default)} is the default again`);
  });
}

test('a reload sorts changed keys by what the schema says: live, restart, or left to the target diff', () => {
  const next = loadConfig(
    { log: { level: 'debug' }, responder: { dropRate: 0.5, maxConnections: 10 }, mesh: { port: 1 }, defaults: { count: 3 } },
    'x',
    {},
  );
  assert.deepEqual(changedKeys(builtInDefaults, next), {
    live: ['log.level', 'responder.dropRate'],
    restart: ['responder.maxConnections', 'mesh.port'],
  });
});
