import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { PathReport, PathTrace } from '../../src/domain/path.js';
import type { Target } from '../../src/domain/target.js';
import { summarizeRound } from '../../src/stats/round-summary.js';
import { TokenBucket } from '../../src/trace/bucket.js';
import { summarizeHop } from '../../src/trace/hops.js';
import type { TraceRequest } from '../../src/trace/trace.js';
import { PathTracer, type TracerSettings } from '../../src/trace/tracer.js';
import { traceTrigger } from '../../src/trace/triggers.js';
import { FakeClock } from '../helpers/fake-clock.js';

const settings: TracerSettings = {
  onLoss: true,
  everyRounds: 0,
  maxPerMinute: 6,
  maxConcurrent: 2,
  maxHops: 30,
  probesPerHop: 3,
  probeTimeoutMs: 1000,
  maxSilentHops: 4,
};
const clean = summarizeRound(10, Array(10).fill(0.001));
const lossy = summarizeRound(10, Array(5).fill(0.001));
const targets = (n: number): readonly Target[] =>
  loadConfig({ targets: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, address: `10.9.0.${i + 1}:443` })) }, 'test', {}).targets;

/** A tracer over a scripted network: each trace takes `takesMs`, its hop 2 answers from `router()`. */
function harness(s: Partial<TracerSettings> = {}, takesMs = 5000) {
  const clock = new FakeClock();
  const requests: { at: number; name: string; request: TraceRequest }[] = [];
  const reports: { at: number; name: string; report: PathReport }[] = [];
  let router = '10.0.2.1';
  const trace = async (request: TraceRequest): Promise<PathTrace> => {
    requests.push({ at: clock.nowMs(), name: request.address, request });
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, takesMs);
      request.signal?.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        resolve();
      });
    });
    const te = (from: string) => ({
      answer: 'time-exceeded' as const,
      from,
      rttSeconds: 0.001,
      icmp: { family: 4 as const, type: 11, code: 0, reporter: from },
    });
    const hops = [
      summarizeHop(1, [te('10.0.1.1')]),
      summarizeHop(2, [te(router)]),
      summarizeHop(3, [{ answer: 'syn-ack', from: request.address, rttSeconds: 0.002 }]),
    ];
    return {
      address: request.address,
      port: request.port,
      family: 4,
      sourcePort: request.sourcePort ?? 2000 + requests.length,
      hops,
      end: 'syn-ack',
      startedAt: 0,
      durationSeconds: takesMs / 1000,
    };
  };
  const tracer = new PathTracer(
    { ...settings, ...s },
    { clock, trace, report: { pathTraced: (name, report) => reports.push({ at: clock.nowMs(), name, report }) } },
  );
  const add = (list: readonly Target[]) => {
    for (const t of list) {
      tracer.observer.targetAdded?.(t);
      tracer.observer.addressResolved?.(t.name, t.host);
    }
  };
  const round = (name: string, summary = clean) => tracer.observer.roundFinished?.(name, summary, []);
  return { clock, tracer, requests, reports, add, round, reroute: (to: string) => (router = to) };
}

test('a trace when loss begins and when it ends, none while it lasts; every N rounds when asked', () => {
  const s = { onLoss: true, everyRounds: 0 };
  const states = ['pending', 'up', 'degraded', 'down', 'degraded', 'up', 'up'] as const;
  const triggers = states.slice(1).map((next, i) => traceTrigger(states[i] as (typeof states)[number], next, i + 1, s));
  assert.deepEqual(triggers, [undefined, 'loss', undefined, undefined, 'recovery', undefined]);
  assert.equal(traceTrigger('pending', 'down', 1, s), 'loss', 'a target lossy from its first round');
  const every = [1, 2, 3, 4, 5, 6, 7].map((round) => traceTrigger('up', 'up', round, { onLoss: true, everyRounds: 3 }));
  assert.deepEqual(every, ['periodic', undefined, undefined, 'periodic', undefined, undefined, 'periodic']);
  assert.equal(traceTrigger('up', 'down', 4, { onLoss: false, everyRounds: 0 }), undefined);
});

test('the token bucket: a burst of its size, then one token per 60/rate seconds', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(clock, 6);
  assert.deepEqual(
    Array.from({ length: 7 }, () => bucket.take()),
    [true, true, true, true, true, true, false],
  );
  assert.equal(bucket.msUntilToken(), 10_000);
  await clock.advance(9_999);
  assert.equal(bucket.take(), false);
  await clock.advance(1);
  assert.equal(bucket.take(), true);
});

test('across targets: at most maxConcurrent at once and maxPerMinute a minute; loss is served before periodic turns', async () => {
  const h = harness({ maxPerMinute: 3, maxConcurrent: 2, everyRounds: 1 });
  const list = targets(6);
  h.add(list);
  // t0..t2 get periodic turns first; then t3..t5 begin losing pings.
  for (const t of list.slice(0, 3)) h.round(t.name);
  for (const t of list.slice(3)) h.round(t.name, lossy);
  assert.deepEqual(
    h.requests.map((r) => r.name),
    ['10.9.0.1', '10.9.0.2'],
    'two at once',
  );
  await h.clock.advance(5000);
  // The third token goes to loss (t3), though t2's periodic turn came first.
  assert.deepEqual(
    h.requests.map((r) => [r.at, r.name]),
    [
      [0, '10.9.0.1'],
      [0, '10.9.0.2'],
      [5000, '10.9.0.4'],
    ],
  );
  await h.clock.advance(120_000);
  const starts = h.requests.map((r) => [r.at, r.name]);
  assert.deepEqual(starts.slice(3), [
    [20_000, '10.9.0.5'],
    [40_000, '10.9.0.6'],
    [60_000, '10.9.0.3'],
  ]);
  assert.equal(h.reports.length, 6);
  await h.tracer.stop();
});

test('one flow per target: its source port is kept, and a trace is compared with the one before it', async () => {
  const h = harness({ everyRounds: 1, maxPerMinute: 60 });
  const [t] = targets(1) as [Target];
  h.add([t]);
  h.round(t.name);
  await h.clock.advance(5000);
  h.round(t.name);
  await h.clock.advance(5000);
  h.reroute('10.0.2.99');
  h.round(t.name, lossy);
  await h.clock.advance(5000);
  assert.deepEqual(
    h.reports.map((r) => [r.report.trigger, r.report.trace.sourcePort, r.report.changedHops]),
    [
      ['periodic', 2001, null],
      ['periodic', 2001, []],
      ['loss', 2001, [2]],
    ],
  );
  assert.equal(h.requests[0]?.request.sourcePort, undefined, 'the first trace picks its port');
  assert.deepEqual(
    h.requests.slice(1).map((r) => r.request.sourcePort),
    [2001, 2001],
  );
  await h.tracer.stop();
});

test('a removed target: its trace is aborted and reported nowhere; stop aborts the rest and waits', async () => {
  const h = harness({}, 60_000);
  const [a, b] = targets(2) as [Target, Target];
  h.add([a, b]);
  h.round(a.name, lossy);
  h.round(b.name, lossy);
  assert.equal(h.requests.length, 2);
  h.tracer.observer.targetRemoved?.(a.name);
  await h.clock.advance(1);
  assert.equal(h.reports.length, 0);
  const stopped = h.tracer.stop();
  await h.clock.advance(1);
  await stopped;
  assert.equal(h.reports.length, 0, 'an aborted trace is not reported');
  assert.equal(h.clock.pendingTimers, 0);
});
