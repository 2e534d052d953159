import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Due, DueQueue } from '../../src/scheduler/due-queue.js';
import type { Clock } from '../../src/util/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { prng } from '../helpers/prng.js';

/** An item that logs when it fired, and by default queues itself again `everyMs` later. */
function item(name: string, log: string[], clock: Clock, then?: (self: Due) => void): Due {
  const self: Due = {
    dueMs: 0,
    slot: -1,
    order: 0,
    fire() {
      log.push(`${name}@${clock.nowMs()}`);
      then?.(self);
    },
  };
  return self;
}

describe('DueQueue: the targets next rounds under one timer', () => {
  test('fires each at its time, in time order, ties in the order queued, with one timer armed', async () => {
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    // Queued out of order, with ties, more than a heap's first levels.
    const times = [70, 10, 40, 10, 90, 30, 40, 20, 60, 10, 50, 80];
    for (const [index, at] of times.entries()) queue.add(item(`i${index}`, log, clock), at);
    assert.equal(clock.pendingTimers, 1, 'one timer for the whole queue');
    await clock.advance(100);
    const expected = times
      .map((at, index) => ({ at, index }))
      .sort((a, b) => a.at - b.at || a.index - b.index)
      .map(({ at, index }) => `i${index}@${at}`);
    assert.deepEqual(log, expected);
    assert.equal(queue.size, 0);
    assert.equal(clock.pendingTimers, 0, 'an empty queue leaves no timer');
  });

  test('what fires and queues itself again fires again at its next time, not in the same pass', async () => {
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    let rounds = 0;
    const every = (ms: number) => (self: Due) => {
      if (++rounds < 8) queue.add(self, self.dueMs + ms);
    };
    queue.add(item('a', log, clock, every(30)), 0);
    queue.add(item('b', log, clock, every(20)), 5);
    await clock.advance(65);
    assert.deepEqual(log, ['a@0', 'b@5', 'b@25', 'a@30', 'b@45', 'a@60', 'b@65']);
    await clock.advance(100);
    // The eighth did not queue itself again; the other, queued already, fired once more.
    assert.equal(log.length, 9);
    assert.equal(clock.pendingTimers, 0);
  });

  test('an item removed or moved does not fire at its old time; removing the last disarms', async () => {
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    const a = item('a', log, clock);
    const b = item('b', log, clock);
    const c = item('c', log, clock);
    queue.add(a, 10);
    queue.add(b, 20);
    queue.add(c, 30);
    queue.remove(a);
    queue.remove(a); // twice is a no-op
    queue.add(c, 5); // moved before the others
    await clock.advance(40);
    assert.deepEqual(log, ['c@5', 'b@20']);
    queue.add(a, 100);
    queue.remove(a);
    assert.equal(clock.pendingTimers, 0, 'removing the last item left a timer');
  });

  test('an item queued earlier than the armed time re-arms the timer for it', async () => {
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    queue.add(item('late', log, clock), 500);
    queue.add(item('early', log, clock), 50);
    assert.equal(clock.pendingTimers, 1, 'the timer for 500 was replaced, not kept beside');
    await clock.advance(60);
    assert.deepEqual(log, ['early@50']);
  });

  test("fires what was due when the timer fires, even if the clock reads a little earlier (a loop's cached time)", async () => {
    const fake = new FakeClock();
    // The clock the queue reads lags the timers' by 0.7 ms, as performance.now() can lag libuv's.
    const lagging: Clock = {
      nowMs: () => fake.nowMs() - 0.7,
      wallSeconds: () => fake.wallSeconds(),
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms - 0.7),
      clearTimeout: (handle) => fake.clearTimeout(handle),
    };
    const queue = new DueQueue(lagging);
    const log: string[] = [];
    queue.add(item('a', log, lagging), 10);
    queue.add(item('b', log, lagging), 10);
    queue.add(item('c', log, lagging), 20);
    await fake.advance(10);
    assert.deepEqual(log, ['a@9.3', 'b@9.3'], 'due items waited for a clock that reads their time');
    await fake.advance(10);
    assert.deepEqual(log.at(-1), 'c@19.3');
  });

  test('random adds, moves and removals fire in time order, ties in the order queued (a seeded run)', async () => {
    const random = prng(0x2545f491); // the same sequence every run
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    const items = Array.from({ length: 60 }, (_, i) => item(`i${i}`, log, clock));
    /** What should fire: each queued item's time and the order it was last queued in. */
    const expected = new Map<Due, { at: number; order: number }>();
    let queued = 0;
    for (let step = 0; step < 400; step++) {
      const it = items[Math.floor(random() * items.length)] as Due;
      if (random() < 0.3) {
        queue.remove(it);
        expected.delete(it);
      } else {
        const at = 1 + Math.floor(random() * 50); // few distinct times: many ties
        queue.add(it, at);
        expected.set(it, { at, order: queued++ });
      }
    }
    assert.equal(queue.size, expected.size);
    await clock.advance(100);
    const order = [...expected.entries()]
      .sort(([, a], [, b]) => a.at - b.at || a.order - b.order)
      .map(([it, { at }]) => `i${items.indexOf(it)}@${at}`);
    assert.deepEqual(log, order);
    assert.equal(clock.pendingTimers, 0);
  });

  test('an item that throws does not stop the queue', async () => {
    const clock = new FakeClock();
    const queue = new DueQueue(clock);
    const log: string[] = [];
    queue.add(
      item('bad', log, clock, () => {
        throw new Error('boom');
      }),
      10,
    );
    queue.add(item('next', log, clock), 20);
    await assert.rejects(clock.advance(15), /boom/);
    await clock.advance(10);
    assert.deepEqual(log, ['bad@10', 'next@20']);
  });
});
