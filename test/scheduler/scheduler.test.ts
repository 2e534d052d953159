import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import type { PingResult } from '../../src/domain/ping.js';
import type { Target } from '../../src/domain/target.js';
import type { ProbeRequest, Prober } from '../../src/probe/types.js';
import { fanOut } from '../../src/scheduler/observers.js';
import { Scheduler, type SchedulerObserver, sameSpec, startOffsetMs } from '../../src/scheduler/scheduler.js';
import type { PaceTime } from '../../src/util/pace.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A prober on fake time: each ping takes `durationMs` and succeeds, unless aborted first. */
function timedProber(clock: FakeClock, durationMs: (req: ProbeRequest) => number, log: string[]): Prober {
  return (req) =>
    new Promise<PingResult>((resolve) => {
      log.push(`start seq=${req.seq} t=${clock.nowMs()}`);
      const timer = clock.setTimeout(
        () => resolve({ ok: true, value: { seq: req.seq, rttSeconds: durationMs(req) / 1000 } }),
        durationMs(req),
      );
      req.signal?.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        resolve({ ok: false, error: { seq: req.seq, reason: 'error', detail: 'aborted' } });
      });
    });
}

function spec(name: string, over: Partial<Target> = {}): Target {
  return {
    name,
    address: '127.0.0.1:1',
    labels: {},
    family: 'auto',
    host: '127.0.0.1',
    port: 1,
    mode: 'echo',
    count: 3,
    pingIntervalMs: 0,
    intervalMs: 1000,
    timeoutMs: 100,
    reuseConnection: false,
    degradedLossRatio: 0.1,
    ...over,
  };
}

function harness(durationMs: (req: ProbeRequest) => number = () => 10) {
  const clock = new FakeClock();
  const pings: string[] = [];
  const events: string[] = [];
  const lags: number[] = [];
  const changed: Target[] = [];
  const prober = timedProber(clock, durationMs, pings);
  const scheduler = new Scheduler(
    { clock, probers: { echo: prober, connect: prober }, probeContext: { clock, connect } },
    {
      pingStarted: (t, lag) => {
        events.push(`${t} ping@${clock.nowMs()}`);
        lags.push(lag);
      },
      roundFinished: (t, s) => events.push(`${t} round@${clock.nowMs()} sent=${s.sent} received=${s.received}`),
      roundSkipped: (t) => events.push(`${t} skipped@${clock.nowMs()}`),
      targetChanged: (t) => changed.push(t),
    },
  );
  /** Stops and lets fake time run until the pings in flight are done. */
  const stopAll = async () => {
    const stopping = scheduler.stop();
    await clock.advance(120_000);
    await stopping;
  };
  return { clock, scheduler, pings, events, lags, changed, stopAll };
}

test('startOffsetMs spreads first rounds evenly over the interval', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => startOffsetMs(i, 4, 1000)),
    [0, 250, 500, 750],
  );
  assert.equal(startOffsetMs(0, 1, 1000), 0);
});

test('first rounds of several targets are staggered; rounds repeat at a fixed rate', async () => {
  const { clock, scheduler, events, stopAll } = harness();
  await scheduler.apply([spec('a', { count: 1 }), spec('b', { count: 1 })]);
  await clock.advance(2100);
  assert.deepEqual(
    events.filter((e) => e.includes('ping')),
    ['a ping@0', 'b ping@500', 'a ping@1000', 'b ping@1500', 'a ping@2000'],
  );
  await stopAll();
});

test('pings in a round run one after another, pingIntervalMs apart, on time', async () => {
  const { clock, scheduler, events, lags, stopAll } = harness();
  await scheduler.apply([spec('a', { count: 3, pingIntervalMs: 100 })]);
  await clock.advance(500);
  assert.deepEqual(events, ['a ping@0', 'a ping@100', 'a ping@200', 'a round@210 sent=3 received=3']);
  assert.deepEqual(lags, [0, 0, 0]);
  await stopAll();
});

test('a ping slower than pingIntervalMs delays the next one, which then starts at once', async () => {
  const { clock, scheduler, events, stopAll } = harness((req) => (req.seq === 1 ? 250 : 10));
  await scheduler.apply([spec('a', { count: 2, pingIntervalMs: 100 })]);
  await clock.advance(400);
  assert.deepEqual(events, ['a ping@0', 'a ping@250', 'a round@260 sent=2 received=2']);
  await stopAll();
});

test('after a slow ping the cadence starts again from it: the pings it held up are not sent in a burst', async () => {
  const { clock, scheduler, events, stopAll } = harness((req) => (req.seq === 2 ? 1000 : 10));
  await scheduler.apply([spec('a', { count: 5, pingIntervalMs: 200, intervalMs: 10_000 })]);
  await clock.advance(2000);
  // ping 2 times out at 1200; ping 3 starts then, and 4 and 5 keep 200 ms apart (not 1210, 1220).
  assert.deepEqual(events, ['a ping@0', 'a ping@200', 'a ping@1200', 'a ping@1400', 'a ping@1600', 'a round@1610 sent=5 received=5']);
  await stopAll();
});

test('a round due while the last one still runs is skipped and counted, never queued', async () => {
  const { clock, scheduler, events, stopAll } = harness(() => 700);
  await scheduler.apply([spec('a', { count: 2 })]); // each round takes 1400 ms, interval 1000 ms
  await clock.advance(3000);
  assert.deepEqual(events, [
    'a ping@0',
    'a ping@700',
    'a skipped@1000',
    'a round@1400 sent=2 received=2',
    'a ping@2000',
    'a ping@2700',
    'a skipped@3000',
  ]);
  await stopAll();
});

test('stop() sends no new ping and waits for the one in flight', async () => {
  const { clock, scheduler, events, pings } = harness(() => 50);
  await scheduler.apply([spec('a', { count: 5 })]);
  await clock.advance(20);
  let stopped = false;
  const stopping = scheduler.stop().then(() => (stopped = true));
  await clock.advance(10);
  assert.equal(stopped, false, 'stop returned while a ping was in flight');
  await clock.advance(30);
  await stopping;
  assert.equal(pings.length, 1);
  assert.ok(!events.some((e) => e.includes('round')), 'an interrupted round is not reported as complete');
  await clock.advance(5000);
  assert.equal(pings.length, 1, 'no ping after stop');
  assert.equal(clock.pendingTimers, 0, 'stop left timers behind');
});

test('stop(abortAfterMs) aborts pings still in flight after the grace period', async () => {
  const { clock, scheduler } = harness(() => 60_000);
  await scheduler.apply([spec('a', { count: 1, timeoutMs: 60_000 })]);
  await clock.advance(1);
  let stopped = false;
  const stopping = scheduler.stop(200).then(() => (stopped = true));
  await clock.advance(199);
  assert.equal(stopped, false);
  await clock.advance(1);
  await stopping;
  assert.equal(stopped, true);
});

test('a target stopped before its first round never pings, and stop leaves no timer', async () => {
  const { clock, scheduler, events } = harness();
  // Spread over the interval: a's first round at 0, b's at 500.
  await scheduler.apply([spec('a', { count: 1 }), spec('b', { count: 1 })]);
  await clock.advance(100);
  await scheduler.stop();
  await clock.advance(5000);
  assert.deepEqual(events, ['a ping@0', 'a round@10 sent=1 received=1']);
  assert.equal(clock.pendingTimers, 0);
});

test('falling behind by whole intervals skips those rounds instead of bunching them', async () => {
  const { clock, scheduler, events, stopAll } = harness(() => 3500);
  await scheduler.apply([spec('a', { count: 1 })]);
  await clock.advance(4100);
  assert.deepEqual(events, [
    'a ping@0',
    'a skipped@1000',
    'a skipped@2000',
    'a skipped@3000',
    'a round@3500 sent=1 received=1',
    'a ping@4000',
  ]);
  await stopAll();
});

describe('apply(): a new target list as a diff', () => {
  test('unchanged targets keep running undisturbed; removed stop; added start; changed restart', async () => {
    const { clock, scheduler, events, stopAll } = harness();
    await scheduler.apply([spec('keep', { count: 1 }), spec('drop', { count: 1 }), spec('change', { count: 1 })]);
    await clock.advance(1100);
    events.length = 0;
    const diff = await scheduler.apply([spec('keep', { count: 1 }), spec('change', { count: 2 }), spec('new', { count: 1 })]);
    assert.deepEqual(diff, { added: ['new'], removed: ['drop'], changed: ['change'], unchanged: ['keep'] });
    assert.deepEqual(scheduler.targetNames.sort(), ['change', 'keep', 'new']);
    await clock.advance(1000);
    const started = new Set(events.filter((e) => e.includes('ping')).map((e) => e.split(' ')[0]));
    assert.deepEqual([...started].sort(), ['change', 'keep', 'new']);
    assert.ok(events.includes('keep ping@2000'), `keep kept its schedule: ${events.join(', ')}`);
    assert.ok(
      events.some((e) => e.startsWith('change round@') && e.includes('sent=2')),
      'change runs its new settings',
    );
    await stopAll();
  });

  test('new labels or degradedLossRatio alone: the target goes on with them, its schedule and round in flight kept', async () => {
    const { clock, scheduler, events, changed, stopAll } = harness(() => 300);
    // First rounds: relabel at 0 ms, retune at 500 ms; each ping takes 300 ms.
    await scheduler.apply([spec('relabel', { count: 2 }), spec('retune', { count: 2 })]);
    await clock.advance(100);
    events.length = 0;
    const relabelled = spec('relabel', { count: 2, labels: { team: 'web' }, degradedLossRatio: 0.5 });
    const diff = await scheduler.apply([relabelled, spec('retune', { count: 3 })]);
    assert.deepEqual(diff, { added: [], removed: [], changed: ['relabel', 'retune'], unchanged: [] });
    assert.deepEqual(
      changed.map((t) => t.name),
      ['relabel', 'retune'],
    );
    assert.equal(changed[0], relabelled, 'the observers are given the new spec');
    await clock.advance(2000);
    assert.ok(events.includes('relabel round@600 sent=2 received=2'), `relabel's round in flight ended as planned: ${events.join(', ')}`);
    assert.ok(events.includes('relabel ping@1000'), `relabel kept its schedule: ${events.join(', ')}`);
    assert.ok(
      events.some((e) => e.startsWith('retune round@') && e.includes('sent=3')),
      `retune restarted with count 3: ${events.join(', ')}`,
    );
    assert.ok(
      !events.some((e) => e.startsWith('retune round@') && e.includes('sent=2')),
      `retune ran no round of the old spec: ${events.join(', ')}`,
    );
    await stopAll();
  });

  test('an unchanged list, in another order or with other key order, changes nothing', async () => {
    const { scheduler, stopAll } = harness();
    await scheduler.apply([spec('a'), spec('b')]);
    const { count, ...rest } = spec('b');
    const diff = await scheduler.apply([{ ...rest, count }, spec('a')]);
    assert.deepEqual(diff, { added: [], removed: [], changed: [], unchanged: ['a', 'b'] });
    await stopAll();
  });
});

describe('update(): a change to some targets, the others not looked at', () => {
  test('upserts start or replace their targets, removed ones stop, the rest keep their schedule', async () => {
    const { clock, scheduler, events, changed, stopAll } = harness();
    await scheduler.apply([
      spec('keep', { count: 1 }),
      spec('drop', { count: 1 }),
      spec('change', { count: 1 }),
      spec('relabel', { count: 1 }),
    ]);
    await clock.advance(1100);
    events.length = 0;
    const relabelled = spec('relabel', { count: 1, labels: { team: 'web' } });
    const diff = await scheduler.update([spec('change', { count: 2 }), spec('new', { count: 1 }), relabelled], ['drop', 'absent']);
    assert.deepEqual(diff, { added: ['new'], removed: ['drop'], changed: ['change', 'relabel'], unchanged: [] });
    assert.deepEqual(scheduler.targetNames.sort(), ['change', 'keep', 'new', 'relabel']);
    assert.deepEqual(
      changed.map((t) => t.name),
      ['relabel', 'change'],
    );
    assert.equal(changed[0], relabelled, 'the observers are given the new spec');
    // An upsert equal to what runs changes nothing.
    assert.deepEqual(await scheduler.update([spec('keep', { count: 1 })], []), {
      added: [],
      removed: [],
      changed: [],
      unchanged: ['keep'],
    });
    await clock.advance(1000);
    assert.ok(events.includes('keep ping@2000'), `keep kept its schedule: ${events.join(', ')}`);
    assert.ok(!events.some((e) => e.startsWith('drop ')), `drop ran nothing after its removal: ${events.join(', ')}`);
    assert.ok(
      events.some((e) => e.startsWith('change round@') && e.includes('sent=2')),
      `change runs its new settings: ${events.join(', ')}`,
    );
    assert.ok(
      events.some((e) => e.startsWith('new ping@')),
      `new started: ${events.join(', ')}`,
    );
    await stopAll();
  });

  test('a name given twice starts one runner, with the last spec, and stop leaves no timer', async () => {
    const { clock, scheduler, events, stopAll } = harness();
    const diff = await scheduler.update([spec('d', { count: 1 }), spec('d', { count: 2 })], []);
    assert.deepEqual([diff.added, scheduler.targetNames], [['d'], ['d']]);
    await clock.advance(500);
    assert.deepEqual(
      events.filter((e) => e.includes('round@')),
      ['d round@20 sent=2 received=2'],
    );
    await stopAll();
    assert.equal(clock.pendingTimers, 0, 'a runner left behind still had its round queued');
  });

  test('on an empty scheduler, the first upserts are spread over the interval as a first apply is', async () => {
    const { clock, scheduler, events, stopAll } = harness();
    await scheduler.update([spec('a', { count: 1 }), spec('b', { count: 1 }), spec('c', { count: 1 }), spec('d', { count: 1 })], []);
    await clock.advance(999);
    assert.deepEqual(
      events.filter((e) => e.includes('ping@')),
      ['a ping@0', 'b ping@250', 'c ping@500', 'd ping@750'],
    );
    await stopAll();
  });
});

describe('many targets arriving or leaving are told to one observer at a time', () => {
  /**
   * Two observers (a fan-out, as the service's) on fake pace time: `a` takes 3 ms over `slowAt`, as
   * an observer whose Map of targets doubles there. The log says who heard what, runs of targets
   * shortened, with the pauses between slices.
   */
  function telling(slowAt: string, onSlow?: (scheduler: Scheduler) => void) {
    const clock = new FakeClock();
    const log: string[] = [];
    let now = 0;
    const time: PaceTime = { nowMs: () => now, turn: async () => log.push('turn'), sleep: async () => log.push('sleep') };
    let scheduler: Scheduler | undefined;
    const started: string[] = [];
    const heard = (who: string): SchedulerObserver => {
      const hear = (name: string, sign: string) => {
        const last = log.at(-1) ?? '';
        if (last.startsWith(`${who} ${sign}`)) log[log.length - 1] = `${last.split('..')[0]}..${name}`;
        else log.push(`${who} ${sign}${name}`);
        if (who === 'a' && name === slowAt && scheduler) {
          now += 3;
          onSlow?.(scheduler);
        }
        // Runners start after every observer has heard of their batch.
        if (sign === '+' && scheduler?.targetNames.includes(name)) started.push(name);
      };
      return { targetAdded: (t) => hear(t.name, '+'), targetRemoved: (name) => hear(name, '-') };
    };
    const prober = timedProber(clock, () => 10, []);
    scheduler = new Scheduler(
      { clock, probers: { echo: prober, connect: prober }, probeContext: { clock, connect } },
      fanOut(heard('a'), fanOut(heard('b'))),
      time,
    );
    const targets = Array.from({ length: 250 }, (_, i) => spec(`t${i}`, { count: 1, intervalMs: 60_000 }));
    return { clock, scheduler, log, started, targets };
  }

  test('each observer hears a batch in turn; one that ran long ends the slice before the next hears it', async () => {
    const { clock, scheduler, log, started, targets } = telling('t150');
    await scheduler.apply(targets);
    assert.deepEqual(log, [
      'a +t0..t99',
      'b +t0..t99',
      'turn',
      'a +t100..t199',
      'turn',
      'b +t100..t199',
      'turn',
      'a +t200..t249',
      'b +t200..t249',
    ]);
    assert.deepEqual(started, [], 'a target was started before every observer had heard of it');
    assert.equal(scheduler.targetNames.length, 250);
    log.length = 0;
    await scheduler.apply([]);
    assert.deepEqual(log, [
      // The diff's own slices (stopping the runners), then the departures as the arrivals.
      'turn',
      'turn',
      'a -t0..t99',
      'b -t0..t99',
      'turn',
      'a -t100..t199',
      'turn',
      'b -t100..t199',
      'turn',
      'a -t200..t249',
      'b -t200..t249',
    ]);
    await scheduler.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  test('stop() between two observers: the batch is still told to every one, and none of it starts', async () => {
    const { clock, scheduler, log, targets } = telling('t150', (s) => void s.stop());
    await scheduler.apply(targets);
    assert.deepEqual(log, ['a +t0..t99', 'b +t0..t99', 'turn', 'a +t100..t199', 'turn', 'b +t100..t199']);
    assert.deepEqual(scheduler.targetNames, []);
    assert.equal(clock.pendingTimers, 0, 'a runner started after stop() still had its round queued');
  });

  test('stop() while departures are told: the batch is told to every observer, and no later one', async () => {
    let stopAtDeparture = false;
    const { clock, scheduler, log, targets } = telling('t150', (s) => {
      if (stopAtDeparture) void s.stop();
    });
    await scheduler.apply(targets);
    log.length = 0;
    stopAtDeparture = true;
    await scheduler.apply([]);
    assert.deepEqual(log, ['turn', 'turn', 'a -t0..t99', 'b -t0..t99', 'turn', 'a -t100..t199', 'turn', 'b -t100..t199', 'turn']);
    assert.deepEqual(scheduler.targetNames, []);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('names are resolved every round', () => {
  function dnsHarness(answers: (string | Error)[]) {
    const clock = new FakeClock();
    const seen: string[] = [];
    const results: PingResult[] = [];
    const prober: Prober = async (req) => {
      seen.push(req.host);
      return { ok: true, value: { seq: req.seq, rttSeconds: 0.001 } };
    };
    const addresses: string[] = [];
    const scheduler = new Scheduler(
      {
        clock,
        probers: { echo: prober, connect: prober },
        probeContext: { clock, connect },
        resolver: async () => {
          const answer = answers.shift() ?? '192.0.2.9';
          if (answer instanceof Error) throw Object.assign(answer, { code: 'ENOTFOUND' });
          return answer;
        },
      },
      {
        pingFinished: (_t, r) => results.push(r),
        addressResolved: (_t, address, previous) => addresses.push(previous ? `${previous}->${address}` : address),
      },
    );
    return { clock, scheduler, seen, results, addresses };
  }

  test('each round pings the address of that round; a change is reported', async () => {
    const { clock, scheduler, seen, addresses } = dnsHarness(['192.0.2.1', '192.0.2.1', '192.0.2.2']);
    await scheduler.apply([spec('named', { host: 'peer.example', count: 2 })]);
    await clock.advance(2500);
    assert.deepEqual(seen, ['192.0.2.1', '192.0.2.1', '192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.2']);
    assert.deepEqual(addresses, ['192.0.2.1', '192.0.2.1', '192.0.2.1->192.0.2.2']);
    await scheduler.stop();
  });

  test('a name that does not resolve: every ping of the round is lost as dns, and the next round tries again', async () => {
    const { clock, scheduler, seen, results } = dnsHarness([new Error('getaddrinfo ENOTFOUND nowhere.invalid'), '192.0.2.1']);
    await scheduler.apply([spec('named', { host: 'nowhere.invalid', count: 2 })]);
    await clock.advance(1500);
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : `${r.error.reason} ${r.error.errno}`)),
      ['dns ENOTFOUND', 'dns ENOTFOUND', 'ok', 'ok'],
    );
    assert.deepEqual(seen, ['192.0.2.1', '192.0.2.1'], 'no ping went out for the failed round');
    await scheduler.stop();
  });
});

test('two specs are the same when equal at every key, whatever the order of their keys', () => {
  const a = { name: 'web', address: '10.0.0.1:443', mode: 'connect', labels: { team: 'web', tier: '1' } } as unknown as Target;
  const reordered = { labels: { tier: '1', team: 'web' }, mode: 'connect', address: '10.0.0.1:443', name: 'web' } as unknown as Target;
  assert.equal(sameSpec(a, reordered), true);
  assert.equal(sameSpec(a, { ...a, labels: { team: 'web', tier: '2' } } as Target), false);
  assert.equal(sameSpec(a, { ...a, labels: { team: 'web' } } as Target), false);
  assert.equal(sameSpec(a, { ...a, extra: undefined } as unknown as Target), false);
  assert.equal(sameSpec({ ...a, list: [1, 2] } as unknown as Target, { ...a, list: [2, 1] } as unknown as Target), false);
  assert.equal(sameSpec({ ...a, list: [1, 2] } as unknown as Target, { ...a, list: { 0: 1, 1: 2 } } as unknown as Target), false);
  assert.equal(sameSpec({ ...a, list: [1, 2] } as unknown as Target, { ...a, list: [1, 2] } as unknown as Target), true);
});
