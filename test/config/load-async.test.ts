import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, loadConfigAsync } from '../../src/config/load.js';
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
