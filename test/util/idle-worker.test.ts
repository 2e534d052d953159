import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { IdleWorker } from '../../src/util/idle-worker.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Answers each number with its double. */
const doubler = `require('node:worker_threads').parentPort.on('message', (n) => require('node:worker_threads').parentPort.postMessage(n * 2));`;

async function ask(w: Worker, n: number): Promise<number> {
  const answer = once(w, 'message');
  w.postMessage(n);
  return (await answer)[0] as number;
}

test('a worker is started for work, kept while work comes, and ended once idle for idleMs (fake time)', async () => {
  const clock = new FakeClock();
  const started: Worker[] = [];
  const pool = new IdleWorker(doubler, (w) => started.push(w), 1000, clock);
  try {
    const first = pool.busy();
    assert.equal(await ask(first, 21), 42);
    pool.idle();
    await clock.advance(999);
    // Work before the idle time is up: the same worker, and the idle time starts again when it is done.
    assert.equal(pool.busy(), first);
    assert.equal(await ask(first, 2), 4);
    pool.idle();
    await clock.advance(999);
    assert.equal(started.length, 1);
    const exited = once(first, 'exit');
    await clock.advance(1);
    await exited;
    // The next piece of work starts another.
    const second = pool.busy();
    assert.notEqual(second, first);
    assert.equal(started.length, 2);
    assert.equal(await ask(second, 5), 10);
  } finally {
    await pool.close();
  }
});

test('a worker that failed is forgotten: the next work starts another, and an idle timer armed before does not end it', async () => {
  const clock = new FakeClock();
  const pool = new IdleWorker(doubler, () => {}, 1000, clock);
  try {
    const first = pool.busy();
    pool.idle();
    assert.equal(pool.forget(first), true);
    assert.equal(pool.forget(first), false);
    await first.terminate();
    const second = pool.busy();
    assert.notEqual(second, first);
    await clock.advance(5000);
    // Busy again before the old timer's time: it was cleared, so the worker still answers.
    assert.equal(await ask(second, 8), 16);
  } finally {
    await pool.close();
  }
});
