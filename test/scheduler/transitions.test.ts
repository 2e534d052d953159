import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { PingResult } from '../../src/domain/ping.js';
import { transitionObserver } from '../../src/scheduler/transitions.js';
import { summarizeRound } from '../../src/stats/round-summary.js';
import { createLogger } from '../../src/util/log.js';

const lost = (seq: number): PingResult => ({ ok: false, error: { seq, reason: 'timeout', detail: 'no reply within 1000 ms' } });
const replied = (seq: number): PingResult => ({ ok: true, value: { seq, rttSeconds: 0.001 } });

/** A round of 10 pings with `lostCount` lost. */
function round(lostCount: number): [ReturnType<typeof summarizeRound>, PingResult[]] {
  const results = Array.from({ length: 10 }, (_, i) => (i < lostCount ? lost(i + 1) : replied(i + 1)));
  return [summarizeRound(10, Array(10 - lostCount).fill(0.001)), results];
}

test('one line when a target goes down, degrades or recovers, with the loss and its reason; nothing while it stays put', () => {
  const lines: Record<string, unknown>[] = [];
  const observer = transitionObserver(createLogger('info', 'json', (l) => lines.push(JSON.parse(l))));
  const config = loadConfig({ targets: [{ name: 'web', address: '127.0.0.1:1', degradedLossRatio: 0.2 }] }, 'test', {});
  observer.targetAdded?.(config.targets[0] as never);
  for (const lostCount of [0, 0, 1, 2, 3, 5, 10, 10, 4, 0, 0, 3, 2, 1, 1]) observer.roundFinished?.('web', ...round(lostCount));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [40, 'target degraded: web: 3 of 10 lost (30%), over 20%; last: timeout: no reply within 1000 ms'],
      [50, 'target down: web: 10 of 10 lost (100%); last: timeout: no reply within 1000 ms'],
      [40, 'target degraded: web: 4 of 10 lost (40%), over 20%; last: timeout: no reply within 1000 ms'],
      [30, 'target recovered: web: 0 of 10 lost (0%), was degraded'],
      // Hysteresis: 20% after degraded is not yet up again (the ratio is 20%); 10% (half of it) is.
      [40, 'target degraded: web: 3 of 10 lost (30%), over 20%; last: timeout: no reply within 1000 ms'],
      [30, 'target recovered: web: 1 of 10 lost (10%), was degraded'],
    ],
  );
  assert.deepEqual(
    { ...lines[1], time: undefined, pid: undefined, hostname: undefined },
    {
      level: 50,
      time: undefined,
      pid: undefined,
      hostname: undefined,
      service: 'tcpping',
      target: 'web',
      state: 'down',
      previous: 'degraded',
      lossRatio: 1,
      sent: 10,
      received: 0,
      reasons: { timeout: 10 },
      lastLoss: 'timeout: no reply within 1000 ms',
      msg: lines[1]?.msg,
    },
  );
});

test('a first round that is not up is logged; a removed target is forgotten', () => {
  const lines: string[] = [];
  const observer = transitionObserver(createLogger('info', 'logfmt', (l) => lines.push(l)));
  const [target] = loadConfig({ targets: [{ name: 'db', address: '127.0.0.1:1' }] }, 'test', {}).targets;
  observer.targetAdded?.(target as never);
  observer.roundFinished?.('db', ...round(10));
  observer.targetRemoved?.('db');
  observer.roundFinished?.('db', ...round(0));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? '',
    /^ts=\S+ level=error msg="target down: db: 10 of 10 lost \(100%\); last: timeout: no reply within 1000 ms" target=db state=down previous=pending lossRatio=1 sent=10 received=0 reasons.timeout=10 lastLoss="timeout: no reply within 1000 ms"\n$/,
  );
});
