import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import { MAX_FILE_BYTES, readConfigFile } from '../../src/config/read-file.js';
import { loadTargetFiles, MAX_TARGETS_PER_FILE } from '../../src/config/target-files.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-targets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const defaults = builtInDefaults.defaults;

async function problemsOf(name: string): Promise<string[]> {
  const [state] = await loadTargetFiles([name], dir, defaults);
  assert.ok(state);
  return [...state.problems];
}

test('a FIFO matching the glob is refused at once, never read (it would hang)', async () => {
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  writeFileSync(join(dir, 'good.yaml'), '- targets: ["127.0.0.1:11000"]\n');
  const started = Date.now();
  const states = await loadTargetFiles(['*.yaml'], dir, defaults);
  assert.ok(Date.now() - started < 5000);
  const pipe = states.find((s) => s.file.endsWith('pipe.yaml'));
  assert.match(pipe?.problems[0] ?? '', /pipe\.yaml: not a regular file/);
  assert.equal(states.find((s) => s.file.endsWith('good.yaml'))?.targets.length, 1);
  rmSync(join(dir, 'pipe.yaml'));
});

test('a file over the size limit is refused without parsing it', async () => {
  writeFileSync(join(dir, 'huge.json'), `[${' '.repeat(MAX_FILE_BYTES)}]`);
  assert.match((await problemsOf('huge.json'))[0] ?? '', /huge\.json: larger than 8388608 bytes/);
});

test('a group of 200,000 targets gets a clear error, not 200,000 checks', async () => {
  const targets = Array.from({ length: 200_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1`);
  writeFileSync(join(dir, 'many.json'), JSON.stringify([{ targets }]));
  assert.deepEqual(await problemsOf('many.json'), [
    `${join(dir, 'many.json')}: 200000 targets; at most ${MAX_TARGETS_PER_FILE} per file (split it into several files)`,
  ]);
});

test('an alias bomb is refused with a clear error (parsed off the event loop when large)', async () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
        .fill(`*${i === 1 ? 'a' : 'b'.repeat(i - 1)}`)
        .join(',')}]`,
    );
  const bomb = `${lines.join('\n')}\n# ${'padding '.repeat(3000)}\n`;
  writeFileSync(join(dir, 'bomb.yaml'), bomb);
  const problems = await problemsOf('bomb.yaml');
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /bomb\.yaml: not usable YAML: .*alias/i);
});

test('a large YAML file of valid targets loads (on the worker thread)', async () => {
  const groups = Array.from({ length: 2000 }, (_, i) => `- targets: ["10.0.${i >> 8}.${i & 255}:11000"]\n  labels: { name: "t-${i}" }`);
  writeFileSync(join(dir, 'large.yaml'), `${groups.join('\n')}\n`);
  const [state] = await loadTargetFiles(['large.yaml'], dir, defaults);
  assert.equal(state?.ok, true, state?.problems.join('\n'));
  assert.equal(state?.targets.length, 2000);
});

test('files read one after another each come back whole, a smaller one after a larger one too', () => {
  const large = 'x'.repeat(200_000);
  writeFileSync(join(dir, 'read-large.yaml'), large);
  writeFileSync(join(dir, 'read-small.yaml'), 'targets: []\n');
  assert.deepEqual(readConfigFile(join(dir, 'read-large.yaml')), { ok: true, value: large });
  assert.deepEqual(readConfigFile(join(dir, 'read-small.yaml')), { ok: true, value: 'targets: []\n' });
  assert.deepEqual(readConfigFile(join(dir, 'read-large.yaml')), { ok: true, value: large });
  // Past what the reader keeps between reads (2 MiB): buffers of its own.
  const huge = 'y'.repeat(3_000_000);
  writeFileSync(join(dir, 'read-huge.yaml'), huge);
  assert.deepEqual(readConfigFile(join(dir, 'read-huge.yaml')), { ok: true, value: huge });
  assert.deepEqual(readConfigFile(join(dir, 'read-small.yaml')), { ok: true, value: 'targets: []\n' });
});

test('a file whose content changes between reads is read again, and refused if it never settles', () => {
  // Counts the bytes this thread has read, the reads of it included: it never reads the same twice.
  const result = readConfigFile('/proc/thread-self/io');
  assert.deepEqual(result, {
    ok: false,
    error: 'it kept changing while being read (5 tries); write a new file and rename it into place',
  });
  const stable = readConfigFile('/proc/thread-self/comm'); // a /proc file that does not change
  assert.ok(stable.ok);
});
