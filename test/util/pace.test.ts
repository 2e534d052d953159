import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pace, type PaceTime, shareCores } from '../../src/util/pace.js';

/** Time that moves only when work "takes" it or a pause sleeps; what each pause was is recorded. */
function fakeTime(): PaceTime & { work(ms: number): void; pauses: (number | 'turn')[] } {
  let now = 1000;
  const pauses: (number | 'turn')[] = [];
  return {
    nowMs: () => now,
    turn: async () => {
      pauses.push('turn');
    },
    sleep: async (ms) => {
      pauses.push(ms);
      now += ms;
    },
    work: (ms) => {
      now += ms;
    },
    pauses,
  };
}

test('sharing cores with workers, a pause lasts as long as the slice before it took, in whole ms, 1 to 20', async () => {
  const unshare = shareCores();
  try {
    const time = fakeTime();
    const pace = new Pace(time);
    for (const ms of [0, 0.3, 2, 7.5, 45]) {
      time.work(ms);
      await pace.pause();
    }
    assert.deepEqual(time.pauses, [1, 1, 2, 8, 20]);
  } finally {
    unshare();
  }
});

test('sharing cores, a slice starts after the pause, or where begin() says, not at the previous slice', async () => {
  const unshare = shareCores();
  try {
    const time = fakeTime();
    const pace = new Pace(time);
    time.work(3);
    await pace.pause(); // its 3 ms pause is not the next slice's time
    time.work(1.5);
    await pace.pause();
    time.work(30); // waiting for a message from another thread: not this work's time
    pace.begin();
    time.work(4);
    await pace.pause();
    assert.deepEqual(time.pauses, [3, 2, 4]);
  } finally {
    unshare();
  }
});

test('without workers a pause is a turn of the loop, and shareCores() ends once however often it is undone', async () => {
  const time = fakeTime();
  const pace = new Pace(time);
  time.work(5);
  await pace.pause();
  const first = shareCores();
  const second = shareCores();
  first();
  first(); // twice: still one undone
  time.work(5);
  await pace.pause();
  second();
  time.work(5);
  await pace.pause();
  assert.deepEqual(time.pauses, ['turn', 5, 'turn']);
});
