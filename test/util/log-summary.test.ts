import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { logObserver } from '../../src/scheduler/observers.js';
import { LogSummary } from '../../src/util/log-summary.js';
import { FakeClock } from '../helpers/fake-clock.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

test('a flood of events costs the first few lines and one summary per interval', async () => {
  const clock = new FakeClock();
  const { log, lines } = capture();
  const summary = new LogSummary(log, clock, 'client cut off', 10_000, 3);
  for (let i = 0; i < 1000; i++) summary.event(i % 2 ? 'binary' : 'line_timeout', { remote: `127.0.0.1:${i}` });
  await clock.advance(10_000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 4);
  assert.deepEqual(
    lines.slice(0, 3).map((l) => l.remote),
    ['127.0.0.1:0', '127.0.0.1:1', '127.0.0.1:2'],
  );
  assert.deepEqual(lines[3]?.suppressed, { binary: 499, line_timeout: 498 });
  assert.match(String(lines[3]?.msg), /997 more in the last 10 s/);
  // The next interval starts afresh.
  summary.event('binary', { remote: 'x' });
  summary.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.length, 5);
});

test('rounds skipped by thousands of targets: a few warnings naming the target, then one summary', async () => {
  const clock = new FakeClock();
  const { log, lines } = capture();
  const observer = logObserver(log, new LogSummary(log, clock, 'round skipped: the previous round was still running', 10_000, 5, 'warn'));
  for (let i = 0; i < 10_000; i++) observer.roundSkipped?.(`t${i}`);
  await clock.advance(10_000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((l) => [l.level, l.target ?? l.suppressed]),
    [
      [40, 't0'],
      [40, 't1'],
      [40, 't2'],
      [40, 't3'],
      [40, 't4'],
      [40, { skipped: 9995 }],
    ],
  );
});
