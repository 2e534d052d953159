import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, loadConfigAsync, loadConfigFile, loadConfigFileAsync } from '../../src/config/load.js';
import { ENTRIES_PER_STEP } from '../../src/config/target-entries.js';
import { ConfigError } from '../../src/util/errors.js';

const entries = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `t-${i}`, address: `127.0.0.1:${1000 + i}`, labels: { n: String(i) } }));

test('loadConfigAsync: the same frozen config as loadConfig, with the event loop turning between steps of targets', async () => {
  const document = { metrics: { drop: ['tcpping_target_info'] }, targets: entries(4 * ENTRIES_PER_STEP + 1) };
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const loaded = await loadConfigAsync(document, 'big.yaml', {});
  counting = false;
  assert.deepEqual(loaded, loadConfig(document, 'big.yaml', {}));
  assert.ok(turns >= 4, `the event loop turned ${turns} times`);
  assert.ok(Object.isFrozen(loaded) && Object.isFrozen(loaded.targets) && Object.isFrozen(loaded.targets[0]?.labels));
  assert.ok(Object.isFrozen(loaded.metrics.drop));
});

test('loadConfigAsync: problems in late targets and in the targets key itself are named as loadConfig names them', async () => {
  const bad = entries(2 * ENTRIES_PER_STEP);
  const at = ENTRIES_PER_STEP + 3;
  bad[at] = { name: 't-0', address: 'nowhere', labels: { n: '' } };
  const problems = async (document: unknown) => {
    try {
      await loadConfigAsync(document, 'big.yaml', {});
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return [];
  };
  const late = await problems({ targets: bad });
  assert.equal(late.length, 2);
  assert.equal(late[0], `big.yaml: targets[${at}].name: "t-0" is already the name of targets[0]`);
  assert.ok(late[1]?.startsWith(`big.yaml: targets[${at}].address: `), late[1]);
  assert.deepEqual(await problems({ targets: 3 }), ['big.yaml: targets: must be a list: value was 3']);
});

test('loadConfigAsync with the running targets: each equal target is given back as the same object, wherever it moved; others are new', async () => {
  const running = await loadConfigAsync({ targets: entries(3) }, 'big.yaml', {});
  const [t0, t1, t2] = running.targets;
  const next = entries(3);
  next[1] = { ...(next[1] as (typeof next)[number]), labels: { n: 'changed' } };
  // t-2 moves to the front, t-0 keeps its settings but not its index, and one is new.
  const document = { targets: [next[2], next[0], next[1], { name: 'fresh', address: '127.0.0.1:9' }] };
  const reloaded = await loadConfigAsync(document, 'big.yaml', {}, running.targets);
  const [a, b, c, d] = reloaded.targets;
  assert.equal(a, t2, 'an equal target is the running object');
  assert.equal(b, t0, 'found by name where the index differs');
  assert.notEqual(c, t1, 'a changed target is a new object');
  assert.deepEqual(c?.labels, { n: 'changed' });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(d) && Object.isFrozen(d?.labels));
  assert.deepEqual(reloaded, loadConfig(document, 'big.yaml', {}), 'the same config as one loaded afresh');
});

test('loadConfigFileAsync of a large file (parsed off the loop, its targets checked as they come): what loadConfigFile gives, problems and all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-load-async-'));
  try {
    const many = entries(1001);
    const json = join(dir, 'big.json');
    writeFileSync(json, JSON.stringify({ defaults: { mode: 'connect' }, targets: many }));
    const yaml = join(dir, 'big.yaml');
    writeFileSync(
      yaml,
      `defaults: { mode: connect }\ntargets:\n${many.map((t) => `  - { name: ${t.name}, address: "${t.address}", labels: { n: "${t.labels.n}" } }`).join('\n')}\n`,
    );
    for (const file of [json, yaml]) {
      const loaded = await loadConfigFileAsync(file, {});
      assert.deepEqual(loaded, loadConfigFile(file, {}), file);
      assert.equal(loaded.targets.length, 1001);
      assert.equal(loaded.targets[1000]?.name, 't-1000', 'the last piece is in');
      const again = await loadConfigFileAsync(file, {}, loaded.targets);
      assert.ok(
        again.targets.every((t, i) => t === loaded.targets[i]),
        'every target given back as the running object',
      );
    }
    // Problems in the first and the last piece, named by their index in the whole list.
    const bad = entries(1001);
    bad[3] = { name: 't-3', address: 'nowhere', labels: { n: '3' } };
    bad[1000] = { name: 't-0', address: '127.0.0.1:1', labels: { n: '' } };
    writeFileSync(json, JSON.stringify({ targets: bad }));
    const problems = async (load: () => unknown) => {
      try {
        await load();
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
      return [];
    };
    const streamed = await problems(() => loadConfigFileAsync(json, {}));
    assert.deepEqual(streamed, await problems(() => loadConfigFile(json, {})));
    assert.ok(
      streamed.some((p) => p.startsWith(`${json}: targets[3].address: `)),
      streamed.join('\n'),
    );
    assert.ok(streamed.includes(`${json}: targets[1000].name: "t-0" is already the name of targets[0]`), streamed.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
