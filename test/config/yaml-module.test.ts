import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile, loadConfigFileAsync } from '../../src/config/load.js';
import { yamlLoaded } from '../../src/config/yaml-module.js';

test('a running service reads YAML without loading the yaml package on its thread; a command reading it at once does load it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-yaml-module-'));
  try {
    const file = join(dir, 'small.yaml');
    writeFileSync(file, 'defaults: { mode: connect }\ntargets:\n  - { name: a, address: "127.0.0.1:1" }\n');
    const parsedElsewhere = await loadConfigFileAsync(file, {});
    assert.equal(parsedElsewhere.targets[0]?.mode, 'connect');
    assert.equal(yamlLoaded(), false, 'parsed on the parser thread');
    assert.deepEqual(loadConfigFile(file, {}), parsedElsewhere);
    assert.equal(yamlLoaded(), true, 'loadConfigFile parses here');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no module of the service imports the yaml package but config/yaml-module.ts (and the parser thread's source)", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const importers = files('src').filter((path) => /from 'yaml'|require\('yaml'\)|import\('yaml'\)/.test(readFileSync(path, 'utf8')));
  assert.deepEqual(importers, [join('src', 'config', 'yaml-module.ts')]);
});
