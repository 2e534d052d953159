import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeRound } from '../../src/stats/round-summary.js';

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('summary of a round as ping prints it (mdev = population standard deviation)', () => {
  const s = summarizeRound(5, [0.001, 0.002, 0.003, 0.004]);
  assert.equal(s.sent, 5);
  assert.equal(s.received, 4);
  assert.equal(s.lossRatio, 0.2);
  close(s.rtt.min, 0.001);
  close(s.rtt.max, 0.004);
  close(s.rtt.avg, 0.0025);
  close(s.rtt.mdev, Math.sqrt(0.00000125));
});

test('a round with no replies has loss 1 and no RTT figures', () => {
  assert.deepEqual(summarizeRound(3, []), { sent: 3, received: 0, lossRatio: 1, rtt: { min: null, avg: null, max: null, mdev: null } });
});

test('an empty round has loss 0', () => {
  assert.equal(summarizeRound(0, []).lossRatio, 0);
});

test('identical samples give mdev 0, never NaN', () => {
  assert.equal(summarizeRound(3, [0.1, 0.1, 0.1]).rtt.mdev, 0);
});
