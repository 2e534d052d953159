import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import type { Target } from '../../src/domain/target.js';
import { LOGGED_NAMES, MIN_RELOAD_GAP_MS, Reloader } from '../../src/runtime/reloader.js';
import { TargetSet } from '../../src/runtime/target-set.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-coalesce-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'tcpping.json');
const write = (count: number, targets = [{ name: 'a', address: '127.0.0.1:1' }]) =>
  writeFileSync(file, JSON.stringify({ icmp: { capture: 'off' }, defaults: { count }, targets }));

async function harness(log = silentLogger) {
  write(1);
  const clock = new FakeClock();
  const applied: Target[][] = [];
  let running: string[] = [];
  const targets = new TargetSet({
    // A scheduler's diff by name (what it starts and stops is not this file's concern).
    apply: async (list) => {
      applied.push([...list]);
      const before = new Set(running);
      running = list.map((t) => t.name);
      const now = new Set(running);
      return {
        added: running.filter((name) => !before.has(name)),
        removed: [...before].filter((name) => !now.has(name)),
        changed: [],
        unchanged: running.filter((name) => before.has(name)),
      };
    },
  });
  const live = {
    'log.level': () => {},
    'responder.dropRate': () => {},
    'responder.delayMs': () => {},
    'responder.jitterMs': () => {},
    'web.enableLifecycle': () => {},
    'metrics.nativeHistograms': () => {},
    'metrics.drop': () => {},
    'trace.onLoss': () => {},
    'trace.everyRounds': () => {},
    'trace.maxPerMinute': () => {},
    'trace.maxConcurrent': () => {},
    'trace.maxHops': () => {},
    'trace.probesPerHop': () => {},
    'trace.probeTimeoutMs': () => {},
    'trace.maxSilentHops': () => {},
  };
  const events = { configLoaded: () => {}, targetFilesLoaded: () => {} };
  const reloader = new Reloader(loadConfigFile(file, {}), { targets, events, log, clock, live, watchFiles: false });
  await reloader.start();
  return { clock, applied, reloader };
}

test('a burst of triggers is one reload at once and one more after the gap; unchanged files apply nothing', async () => {
  const { clock, applied, reloader } = await harness();
  assert.equal(applied.length, 1); // the start
  write(2);
  const burst = Array.from({ length: 300 }, (_, i) => reloader.reload(`SIGHUP ${i}`));
  // The first reload starts at once: no time passes before it ends (its files are read on libuv's threads).
  await burst[0];
  assert.equal(applied.length, 2, 'the first reload runs at once');
  write(3);
  await clock.advance(MIN_RELOAD_GAP_MS - 1);
  assert.equal(applied.length, 2, 'the others wait for the gap');
  await clock.advance(1);
  const results = await Promise.all(burst);
  assert.equal(applied.length, 3, '299 triggers shared one reload');
  assert.equal(applied[2]?.[0]?.count, 3, 'which read the file as it was by then');
  assert.ok(results.every((r) => r.ok));
  await clock.advance(MIN_RELOAD_GAP_MS);
  const same = await reloader.reload('SIGHUP again');
  assert.ok(same.ok);
  assert.equal(applied.length, 3, 'files unchanged: nothing parsed or applied');
  assert.deepEqual(same.ok && same.diff.unchanged, ['a']);
});

test('after stop, queued reloads do not run', async () => {
  const { clock, applied, reloader } = await harness();
  write(5);
  const first = reloader.reload('one');
  const queued = reloader.reload('two');
  await first;
  reloader.stop();
  await clock.advance(MIN_RELOAD_GAP_MS);
  assert.deepEqual(await queued, { ok: false, problems: ['shutting down'] });
  assert.equal(applied.length, 2);
});

test("a reload's log line names what was added, removed or changed, the first 20 of each, and counts the unchanged", async () => {
  const lines: string[] = [];
  const { reloader } = await harness(createLogger('info', 'json', (line) => lines.push(line)));
  write(1, [
    { name: 'a', address: '127.0.0.1:1' },
    ...Array.from({ length: 45 }, (_, i) => ({ name: `new-${i}`, address: '127.0.0.1:2' })),
  ]);
  const result = await reloader.reload('test');
  assert.ok(result.ok, JSON.stringify(result));
  const logged = lines.map((line) => JSON.parse(line)).filter((record) => record.msg === 'configuration reloaded');
  const last = logged.at(-1);
  assert.equal(typeof last.unchanged, 'number');
  assert.deepEqual([last.unchanged, result.diff.added.length], [1, 45]);
  for (const kind of ['added', 'removed', 'changed'] as const) {
    const names = result.diff[kind];
    const shown: readonly string[] =
      names.length <= LOGGED_NAMES ? names : [...names.slice(0, LOGGED_NAMES), `… and ${names.length - LOGGED_NAMES} more`];
    assert.deepEqual(last[kind], shown, kind);
  }
  assert.ok(
    lines.every((line) => line.length < 4096),
    'no line lists every target',
  );
});
