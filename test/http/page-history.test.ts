import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { summarizeRound } from '../../src/stats/round-summary.js';
import { RoundHistory, type RoundPoint } from '../../src/status/history.js';
import { StatusBoard } from '../../src/status/status.js';
import { FakeClock } from '../helpers/fake-clock.js';

const point = (at: number): RoundPoint => ({ at, sent: 1, received: 1, lossRatio: 0, rtt: { min: 0.001, avg: 0.001, max: 0.001 } });

test('the history ring keeps the last rounds, oldest first, and never grows past its capacity', () => {
  const table: [pushed: number, capacity: number, expected: number[]][] = [
    [0, 3, []],
    [2, 3, [0, 1]],
    [3, 3, [0, 1, 2]],
    [4, 3, [1, 2, 3]],
    [10, 3, [7, 8, 9]],
    [5, 1, [4]],
  ];
  for (const [pushed, capacity, expected] of table) {
    const ring = new RoundHistory(capacity);
    for (let i = 0; i < pushed; i++) ring.push(point(i));
    assert.deepEqual(
      ring.toArray().map((p) => p.at),
      expected,
      `${pushed} into ${capacity}`,
    );
    assert.equal(ring.size, expected.length);
  }
  assert.throws(() => new RoundHistory(0), /positive integer/);
});

function targets(...names: string[]) {
  return loadConfig({ icmp: { capture: 'off' }, targets: names.map((name, i) => ({ name, address: `127.0.0.1:${i + 1}` })) }, 'test', {})
    .targets;
}

/** The scheduler tells the board of targets; here the test does. */
function add(status: StatusBoard, ...names: string[]): void {
  for (const target of targets(...names)) status.observer.targetAdded?.(target);
}

test('each finished round lands in its target history: time, sent, received, loss, min/avg/max', async () => {
  const clock = new FakeClock();
  const status = new StatusBoard(clock, 2);
  add(status, 'a', 'b');
  status.observer.roundFinished?.('a', summarizeRound(4, [0.001, 0.003]), []);
  await clock.advance(30_000);
  status.observer.roundFinished?.('a', summarizeRound(4, []), []);
  await clock.advance(30_000);
  status.observer.roundFinished?.('a', summarizeRound(2, [0.002, 0.002]), []);
  status.observer.roundFinished?.('nobody', summarizeRound(2, []), []);
  const [a, b] = status.list();
  assert.equal(a?.rounds, 3);
  assert.deepEqual(a?.history, [
    { at: 1_700_000_030, sent: 4, received: 0, lossRatio: 1, rtt: { min: null, avg: null, max: null } },
    { at: 1_700_000_060, sent: 2, received: 2, lossRatio: 0, rtt: { min: 0.002, avg: 0.002, max: 0.002 } },
  ]);
  assert.deepEqual(b?.history, []);
  // The API is JSON: the history survives the round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(a?.history)), a?.history);
});

test('a changed target (a reload) keeps its rounds and history; a removed one is gone', () => {
  const status = new StatusBoard(new FakeClock());
  add(status, 'keep', 'drop');
  status.observer.roundFinished?.('keep', summarizeRound(1, [0.001]), []);
  status.observer.roundFinished?.('drop', summarizeRound(1, [0.001]), []);
  const [keep] = targets('keep');
  if (keep) status.observer.targetChanged?.({ ...keep, count: 7 });
  status.observer.targetRemoved?.('drop');
  add(status, 'new');
  assert.deepEqual(
    status.list().map((t) => [t.name, t.rounds, t.history.length, t.up]),
    [
      ['keep', 1, 1, true],
      ['new', 0, 0, null],
    ],
  );
});

test('a resolved address is shown, and its changes counted', () => {
  const status = new StatusBoard(new FakeClock());
  add(status, 'dns');
  status.observer.addressResolved?.('dns', '192.0.2.1');
  status.observer.addressResolved?.('dns', '192.0.2.1');
  status.observer.addressResolved?.('dns', '192.0.2.7', '192.0.2.1');
  const [t] = status.list();
  assert.equal(t?.resolvedAddress, '192.0.2.7');
  assert.equal(t?.addressChanges, 1);
});
