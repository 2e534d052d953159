import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkConfig } from '../../src/cli/check-config.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function check(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await checkConfig(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('a valid config and its target files: exit 0, promtool-style lines with the target counts', async () => {
  write('targets/web.yaml', '- targets: ["10.0.0.1:443", "10.0.0.2:443"]\n  labels: { name: web, team: web }\n');
  write('targets/db.json', '[{"targets": ["10.0.1.1:5432"], "labels": {"name": "db"}}]');
  const config = write(
    'ok.yaml',
    'targetFiles: ["targets/*.yaml", "targets/*.json"]\ntargets: [{ name: self, address: "127.0.0.1:11000" }]\n',
  );
  const { code, out, err } = await check(config);
  assert.equal(code, 0, err.join('\n'));
  assert.deepEqual(out, [`Checking ${config}`, `  SUCCESS: ${config} is valid: 4 targets (1 in the file, 3 from 2 target files)`]);
  assert.deepEqual(err, []);
});

test('a broken target file fails the check, each problem with its file and key (the service would run without its targets)', async () => {
  const broken = write(
    'broken/web.yaml',
    '- targets: ["10.0.0.1:443", "no-port"]\n  labels: { name: web, job: x }\n- targets: "10.0.0.3:80"\n',
  );
  const config = write('broken.yaml', 'targetFiles: ["broken/*.yaml"]\n');
  const { code, out, err } = await check(config);
  assert.equal(code, 1);
  assert.deepEqual(out, [`Checking ${config}`]);
  assert.deepEqual(err, [
    `  FAILED: ${broken}: [0].targets[0].labels: "job" is a label tcpping sets itself`,
    `  FAILED: ${broken}: [0].targets[1].address: no port in "no-port" (expected HOST:PORT)`,
    `  FAILED: ${broken}: [0].targets[1].labels: "job" is a label tcpping sets itself`,
    `  FAILED: ${broken}: [1]: must be a mapping with a "targets" list`,
  ]);
});

test('a pattern that matches no file, a missing file, a name defined twice: warnings, exit 0; --lint-fatal makes them fail', async () => {
  write('dup/a.yaml', '- targets: ["10.0.0.1:1"]\n  labels: { name: self }\n');
  const config = write(
    'warn.yaml',
    'targetFiles: ["none/*.yaml", "missing.json", "dup/*.yaml"]\ntargets: [{ name: self, address: "127.0.0.1:1" }]\n',
  );
  const { code, err } = await check(config);
  assert.equal(code, 0);
  assert.equal(err.length, 3, err.join('\n'));
  assert.match(err[0] ?? '', /WARNING: .*warn\.yaml: targetFiles: "none\/\*\.yaml" matches no file/);
  assert.match(err[1] ?? '', /WARNING: .*warn\.yaml: targetFiles: .*missing\.json does not exist/);
  assert.match(err[2] ?? '', /WARNING: .*dup\/a\.yaml: target "self" is already defined in .*warn\.yaml; the first one is kept/);
  assert.equal((await check('--lint-fatal', config)).code, 1);
});

test('every problem of the config itself, a file of another kind, several files at once', async () => {
  const toml = write('config.toml', '[log]\nlevel = "info"\n');
  const bad = 'test/fixtures/config/misspelled-key.yaml';
  const { code, out, err } = await check(toml, bad, 'config/default.yaml');
  assert.equal(code, 1);
  assert.deepEqual(err, [
    `  FAILED: ${toml}: .toml files are not read: write the config as .yaml, .yml or .json`,
    `  FAILED: ${bad}: unknown key "responder.dropRat" (did you mean "responder.dropRate"?)`,
  ]);
  assert.equal(out.at(-1), '  SUCCESS: config/default.yaml is valid: 1 target');
});
