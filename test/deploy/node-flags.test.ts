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
  const unit = readFileSync(repoPath('deploy/systemd/tcpping.service'), 'utf8').split('\n');
  const exec = unit.find((line) => line.startsWith('ExecStart='));
  assert.ok(exec?.includes(`node ${flags} /opt/tcpping/lib/node_modules/tcpping/dist/cli/bin.js serve`), `systemd unit: ${exec}`);
  // Node refuses these flags in NODE_OPTIONS: none may be left there.
  assert.ok(!unit.some((line) => line.startsWith('Environment=NODE_OPTIONS')), 'systemd unit: NODE_OPTIONS');
});

test('this Node.js takes the flags on the command line: the young generation within 2 × 8 MiB, the old one kept nearer its live size', () => {
  // Garbage at a high rate, some of it surviving a while (as the pings' objects do): V8 grows the
  // young generation to its maximum, and promotes what survives into the old one.
  const script = `let keep = [];
let oldMax = 0;
const v8 = require('node:v8');
const space = (name) => v8.getHeapSpaceStatistics().find((s) => s.space_name === name).space_size;
for (let i = 0; i < 3e6; i++) {
  keep.push({ i, a: [i] });
  if (keep.length > 50000) keep = [];
  if (i % 10000 === 0) oldMax = Math.max(oldMax, space('old_space'));
}
process.stdout.write(JSON.stringify({ young: space('new_space'), oldMax }));`;
  const { NODE_OPTIONS: _, ...env } = process.env;
  const run = (args: readonly string[]) =>
    JSON.parse(execFileSync(process.execPath, [...args, '-e', script], { env, encoding: 'utf8', timeout: 60_000 })) as {
      young: number;
      oldMax: number;
    };
  const flagged = run(serviceNodeFlags);
  const without = run([]);
  const youngOnly = run(serviceNodeFlags.filter((flag) => flag.startsWith('--max-semi-space-size')));
  assert.ok(flagged.young <= 16 * 2 ** 20, `new space ${flagged.young} B with ${flags}`);
  // Without them each grows past that: the flags change something on this Node.js line.
  assert.ok(without.young > flagged.young, `new space ${without.young} B without the flags, ${flagged.young} B with`);
  assert.ok(
    flagged.oldMax < youngOnly.oldMax,
    `old space at most ${flagged.oldMax} B with ${flags}, ${youngOnly.oldMax} B with the young cap alone`,
  );
});
