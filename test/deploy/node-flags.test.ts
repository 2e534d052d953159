import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { serviceNodeFlags } from '../../src/cli/node-flags.js';
import { imageCommand, repoPath } from './dockerfile.js';

const flags = serviceNodeFlags.join(' ');

test("npm start, the image's entrypoint and the systemd unit start the service with the same Node.js flags", () => {
  const start = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  assert.ok(start.includes(`node ${flags} dist/cli/bin.js serve`), `npm start: ${start}`);
  const image = imageCommand.join(' ');
  assert.ok(image.includes(`${flags} /app/dist/cli/bin.js`), `image: ${image}`);
  const unit = readFileSync(repoPath('deploy/systemd/tcpping.service'), 'utf8');
  assert.ok(unit.split('\n').includes(`Environment=NODE_OPTIONS=${flags}`), 'systemd unit: no NODE_OPTIONS line with the flags');
});

test('this Node.js takes the flags, from the command line and from NODE_OPTIONS, and keeps the young generation within 2 × 8 MiB under allocation', () => {
  // Garbage at a high rate, some of it surviving a while (as the pings' objects do): V8 grows the
  // young generation to its maximum under this.
  const script = `let keep = [];
for (let i = 0; i < 2e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 50000) keep = []; }
const n = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
process.stdout.write(String(n.space_size));`;
  const { NODE_OPTIONS: _, ...env } = process.env;
  const onCommandLine = Number(
    execFileSync(process.execPath, [...serviceNodeFlags, '-e', script], { env, encoding: 'utf8', timeout: 60_000 }),
  );
  const inEnvironment = Number(
    execFileSync(process.execPath, ['-e', script], { env: { ...env, NODE_OPTIONS: flags }, encoding: 'utf8', timeout: 60_000 }),
  );
  const without = Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 60_000 }));
  assert.ok(onCommandLine <= 16 * 2 ** 20, `new space ${onCommandLine} B with ${flags}`);
  assert.equal(inEnvironment, onCommandLine);
  // Without them it grows past that: the flags change something on this Node.js line.
  assert.ok(without > onCommandLine, `new space ${without} B without the flags, ${onCommandLine} B with`);
});
