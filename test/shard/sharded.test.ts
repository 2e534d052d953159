import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { builtInDefaults, loadConfig, loadConfigFile } from '../../src/config/load.js';
import type { PingResult } from '../../src/domain/ping.js';
import type { Target } from '../../src/domain/target.js';
import { Responder } from '../../src/responder/responder.js';
import type { SchedulerObserver } from '../../src/scheduler/scheduler.js';
import { Service } from '../../src/service.js';
import type { ToWorker } from '../../src/shard/messages.js';
import { ShardedScheduler } from '../../src/shard/sharded.js';
import { Pace, type PaceTime } from '../../src/util/pace.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Every event, in the order the observer heard it. */
function recorder() {
  const events: { event: string; target: string; detail?: unknown }[] = [];
  const observer: SchedulerObserver = {
    targetAdded: (t) => events.push({ event: 'added', target: t.name, detail: t }),
    targetChanged: (t) => events.push({ event: 'changed', target: t.name, detail: t }),
    targetRemoved: (name) => events.push({ event: 'removed', target: name }),
    pingStarted: (name, lag) => events.push({ event: 'started', target: name, detail: lag }),
    pingFinished: (name, result: PingResult) => events.push({ event: 'finished', target: name, detail: result }),
  };
  const replies = (name: string) => events.filter((e) => e.event === 'finished' && e.target === name && (e.detail as PingResult).ok).length;
  const count = (event: string, name: string) => events.filter((e) => e.event === event && e.target === name).length;
  return { events, observer, replies, count };
}

/** Polls until `done` (bounded: 15 s); real pings on real sockets take the time they take. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(done(), `still waiting after 15 s: ${what}`);
}

describe('pings on worker threads (scheduler.workers)', () => {
  let responder: Responder;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-shard-'));
  const file = join(dir, 'tcpping.json');
  const write = (targets: { name: string; mode: string; labels?: Record<string, string> }[]) =>
    writeFileSync(
      file,
      JSON.stringify({
        log: { level: 'silent' },
        responder: { enabled: false },
        web: { listenAddress: '127.0.0.1:0' },
        icmp: { capture: 'off' },
        scheduler: { workers: 2 },
        defaults: { count: 1, intervalMs: 200, pingIntervalMs: 0, timeoutMs: 2000 },
        targets: targets.map((t) => ({ ...t, address: `127.0.0.1:${port}` })),
      }),
    );

  before(async () => {
    responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
    port = (await responder.listen('127.0.0.1', 0)).port;
  });
  after(async () => {
    await responder.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every target is pinged, announced once, and a reload changes only what changed', { timeout: 60_000 }, async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    write(names.map((name, i) => ({ name, mode: i % 2 ? 'echo' : 'connect' })));
    const seen = recorder();
    const service = await Service.start(loadConfigFile(file, {}), { observer: seen.observer });
    try {
      await until(() => names.every((n) => seen.replies(n) >= 3), 'three replies per target');
      for (const name of names) assert.equal(seen.count('added', name), 1, `${name} announced once`);
      const lags = seen.events.filter((e) => e.event === 'started').map((e) => e.detail as number);
      assert.ok(
        lags.every((lag) => Number.isFinite(lag) && lag >= 0 && lag < 1),
        `lags in seconds: ${lags.slice(0, 5)}`,
      );

      // a goes, b gets a label, g comes; c..f run on untouched.
      write([
        { name: 'b', mode: 'echo', labels: { site: 'x' } },
        ...names.slice(2).map((name, i) => ({ name, mode: i % 2 ? 'echo' : 'connect' })),
        { name: 'g', mode: 'connect' },
      ]);
      const before = seen.events.length;
      const result = await service.reload('test');
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(
        {
          added: result.diff.added,
          removed: result.diff.removed,
          changed: result.diff.changed,
          unchanged: [...result.diff.unchanged].sort(),
        },
        { added: ['g'], removed: ['a'], changed: ['b'], unchanged: ['c', 'd', 'e', 'f'] },
      );
      const removedAt = seen.events.findIndex((e) => e.event === 'removed' && e.target === 'a');
      assert.ok(removedAt >= before, 'a removed on the observer');
      assert.equal(seen.events.slice(removedAt).filter((e) => e.target === 'a').length, 1, 'nothing of a after its removal');
      const changed = seen.events.find((e) => e.event === 'changed' && e.target === 'b')?.detail as Target | undefined;
      assert.deepEqual(changed?.labels, { site: 'x' }, 'b restarted with its new label');
      await until(() => seen.replies('g') >= 2 && seen.replies('b') >= 5, 'g and b pinged after the reload');
      for (const name of ['c', 'd', 'e', 'f'])
        assert.equal(seen.count('added', name) + seen.count('changed', name), 1, `${name} untouched`);
      assert.equal(seen.events.filter((e) => e.event === 'finished' && !(e.detail as PingResult).ok).length, 0, 'no ping lost');
    } finally {
      await service.stop();
    }
    const stoppedAt = seen.events.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(seen.events.length, stoppedAt, 'nothing reported after stop');
  });

  test('a worker that dies is started again on its targets, which keep their place', { timeout: 60_000 }, async () => {
    const seen = recorder();
    const crashes: unknown[] = [];
    const sharded = new ShardedScheduler({ workers: 1, icmp: false, crashed: (_worker, error) => crashes.push(error) }, seen.observer);
    const config = loadConfig(
      {
        defaults: { count: 1, intervalMs: 100, pingIntervalMs: 0, timeoutMs: 2000 },
        targets: [
          { name: 'x', address: `127.0.0.1:${port}` },
          { name: 'y', address: `127.0.0.1:${port}`, mode: 'connect' },
        ],
      },
      'test',
      {},
    );
    try {
      await sharded.apply(config.targets);
      await until(() => seen.replies('x') >= 2 && seen.replies('y') >= 2, 'replies before the crash');
      const { shards } = sharded as unknown as { shards: { worker: Worker }[] };
      await shards[0]?.worker.terminate();
      await until(() => crashes.length === 1, 'the crash reported');
      const after = [seen.replies('x'), seen.replies('y')];
      await until(() => seen.replies('x') >= (after[0] ?? 0) + 2 && seen.replies('y') >= (after[1] ?? 0) + 2, 'pinging again');
      assert.deepEqual([seen.count('added', 'x'), seen.count('added', 'y')], [1, 1], 'announced once, across the restart');
      assert.deepEqual(sharded.targetNames.sort(), ['x', 'y']);
    } finally {
      await sharded.stop(1000);
    }
  });

  test('a reload while a worker is down: what it removes is removed, what it changes is announced changed', {
    timeout: 60_000,
  }, async () => {
    const seen = recorder();
    const crashes: unknown[] = [];
    const sharded = new ShardedScheduler({ workers: 1, icmp: false, crashed: (_worker, error) => crashes.push(error) }, seen.observer);
    const config = (targets: { name: string; timeoutMs?: number }[]) =>
      loadConfig(
        {
          defaults: { count: 1, intervalMs: 100, pingIntervalMs: 0, timeoutMs: 2000 },
          targets: targets.map((t) => ({ address: `127.0.0.1:${port}`, ...t })),
        },
        'test',
        {},
      ).targets;
    try {
      await sharded.apply(config([{ name: 'x' }, { name: 'y' }, { name: 'z' }]));
      await until(() => ['x', 'y', 'z'].every((n) => seen.replies(n) >= 1), 'replies before the crash');
      const { shards } = sharded as unknown as { shards: { worker: Worker }[] };
      await shards[0]?.worker.terminate();
      await until(() => crashes.length === 1, 'the crash reported');
      // The worker is started again 0.5 s after its death: this reload comes before.
      const diff = await sharded.apply(config([{ name: 'x', timeoutMs: 3000 }, { name: 'z' }]));
      assert.deepEqual([diff.removed, diff.changed, diff.unchanged], [['y'], ['x'], ['z']]);
      assert.equal(seen.count('removed', 'y'), 1, 'y removed on the observer');
      const changed = seen.events.filter((e) => e.event === 'changed' && e.target === 'x').map((e) => (e.detail as Target).timeoutMs);
      assert.deepEqual(changed, [3000], 'x announced once, with its new timeout');
      assert.deepEqual([seen.count('added', 'x'), seen.count('added', 'z'), seen.count('changed', 'z')], [1, 1, 0], 'z goes on');
      const yPings = seen.replies('y');
      await until(() => seen.replies('x') >= 3 && seen.replies('z') >= 3, 'x and z pinged by the new worker');
      assert.equal(seen.replies('y'), yPings, 'y pinged no more');
    } finally {
      await sharded.stop(1000);
    }
  });

  test('a reload of many targets (sent to the workers in pieces) is applied as a diff, restarting only what changed', {
    timeout: 60_000,
  }, async () => {
    const seen = recorder();
    const sharded = new ShardedScheduler({ workers: 2, icmp: false }, seen.observer);
    const targets = (generation: string, count: number) =>
      loadConfig(
        {
          defaults: { count: 1, intervalMs: 60_000, timeoutMs: 2000 },
          targets: Array.from({ length: count }, (_, i) => ({ name: `t${i}`, address: `127.0.0.1:${port}`, labels: { generation } })),
        },
        'test',
        {},
      ).targets;
    try {
      const first = await sharded.apply(targets('1', 1200));
      assert.equal(first.added.length, 1200);
      assert.equal(seen.events.filter((e) => e.event === 'added').length, 1200, 'each announced');
      // The same targets from a new file: equal specs, nothing restarted.
      const same = await sharded.apply(targets('1', 1200));
      assert.deepEqual([same.added.length, same.changed.length, same.unchanged.length], [0, 0, 1200]);
      const relabelled = await sharded.apply(targets('2', 1100));
      assert.deepEqual([relabelled.changed.length, relabelled.removed.length], [1100, 100]);
      const changed = seen.events.filter((e) => e.event === 'changed').map((e) => (e.detail as Target).labels.generation);
      assert.equal(changed.length, 1100);
      assert.ok(
        changed.every((g) => g === '2'),
        'restarted with the new labels',
      );
      assert.equal(sharded.targetNames.length, 1100);
      // Relabelled, the workers went on as they were; the new labels are what is held now.
      const again = await sharded.apply(targets('2', 1100));
      assert.deepEqual([again.changed.length, again.unchanged.length], [0, 1100]);
      assert.equal(seen.events.filter((e) => e.event === 'changed').length, 1100, 'no change announced twice');
      // A setting the pings read still goes to the worker, which restarts the target with it.
      const slower = targets('2', 1100).map((t) => (t.name === 't7' ? { ...t, timeoutMs: 3000 } : t));
      const restarted = await sharded.apply(slower);
      assert.deepEqual([restarted.changed, restarted.unchanged.length], [['t7'], 1099]);

      // One target more: its worker is sent its spec and no name, the other is not asked; then it goes again.
      const { shards } = sharded as unknown as { shards: { worker: Worker }[] };
      const sent: string[] = [];
      for (const [index, shard] of shards.entries()) {
        const worker = shard.worker;
        const post = worker.postMessage.bind(worker);
        worker.postMessage = (message: ToWorker) => {
          const size = message.kind === 'specs' ? message.specs.length : message.kind === 'apply' ? message.removed.length : '';
          sent.push(`${index} ${message.kind} ${size}`);
          post(message);
        };
      }
      // (t1100 ran at the start, before the list went down to 1,100.)
      const [addedBefore, removedBefore] = [seen.count('added', 't1100'), seen.count('removed', 't1100')];
      const plusOne = await sharded.apply([...slower, ...targets('2', 1101).slice(1100)]);
      assert.deepEqual([plusOne.added, plusOne.changed, plusOne.removed, plusOne.unchanged.length], [['t1100'], [], [], 1100]);
      assert.equal(seen.count('added', 't1100'), addedBefore + 1, 'announced by its worker before the apply resolved');
      const owner = sent[0]?.split(' ')[0];
      assert.deepEqual(sent, [`${owner} specs 1`, `${owner} apply 0`]);
      sent.length = 0;
      const minusOne = await sharded.apply(slower);
      assert.deepEqual([minusOne.removed, minusOne.unchanged.length], [['t1100'], 1100]);
      assert.deepEqual(sent, [`${owner} apply 1`]);
      assert.equal(seen.count('removed', 't1100'), removedBefore + 1);
      assert.equal(sharded.targetNames.length, 1100);
    } finally {
      await sharded.stop(1000);
    }
  });

  test("a worker's events are replayed with turns of the loop between, and an apply resolves after its own", {
    timeout: 60_000,
  }, async () => {
    // An observer that takes its time (about 0.1 ms an announcement, as series and status do at scale).
    const announced: string[] = [];
    let turns = 0;
    let firstTurn = -1;
    let turnsDuringReplay = 0;
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const observer: SchedulerObserver = {
      targetAdded: (t) => {
        busy(0.1);
        announced.push(t.name);
        if (firstTurn < 0) firstTurn = turns;
        turnsDuringReplay = turns - firstTurn;
      },
    };
    const sharded = new ShardedScheduler({ workers: 1, icmp: false }, observer);
    const targets = loadConfig(
      {
        defaults: { count: 1, intervalMs: 60_000, timeoutMs: 2000 },
        targets: Array.from({ length: 1500 }, (_, i) => ({ name: `slow${i}`, address: `127.0.0.1:${port}` })),
      },
      'test',
      {},
    ).targets;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    try {
      const diff = await sharded.apply(targets);
      assert.equal(diff.added.length, 1500);
      assert.deepEqual(announced, diff.added, 'every announcement heard before the apply resolved, in the order made');
      // 150 ms of replay (a message or two from the worker) in steps of about 2 ms: the loop turned between them.
      assert.ok(turnsDuringReplay > 20, `the loop turned ${turnsDuringReplay} times during the replay`);
    } finally {
      ticking = false;
      await sharded.stop(1000);
    }
  });

  test('while the workers run, long work on the main thread pauses between its slices; after stop it turns the loop', async () => {
    const pauses: string[] = [];
    const time: PaceTime = {
      nowMs: () => 0,
      turn: async () => pauses.push('turn'),
      sleep: async (ms) => pauses.push(`sleep ${ms}`),
    };
    const pace = new Pace(time);
    await pace.pause();
    const sharded = new ShardedScheduler({ workers: 1, icmp: false }, {});
    try {
      await pace.pause();
    } finally {
      await sharded.stop(1000);
    }
    await pace.pause();
    assert.deepEqual(pauses, ['turn', 'sleep 1', 'turn']);
  });

  test('a stop() while an apply tells its relabelled targets ends it there: no later batch is told', { timeout: 60_000 }, async () => {
    const seen = recorder();
    let stopping: Promise<void> | undefined;
    let sharded: ShardedScheduler | undefined;
    // Pauses take no time; the first one after a change was told stops the scheduler (as a SIGTERM would).
    const time: PaceTime = {
      nowMs: () => 0,
      turn: async () => {},
      sleep: async () => {
        if (stopping === undefined && seen.events.some((e) => e.event === 'changed')) stopping = sharded?.stop(1000);
      },
    };
    sharded = new ShardedScheduler({ workers: 2, icmp: false }, seen.observer, time);
    const targets = (generation: string) =>
      loadConfig(
        {
          defaults: { count: 1, intervalMs: 60_000, timeoutMs: 2000 },
          targets: Array.from({ length: 300 }, (_, i) => ({ name: `r${i}`, address: `127.0.0.1:${port}`, labels: { generation } })),
        },
        'test',
        {},
      ).targets;
    try {
      assert.equal((await sharded.apply(targets('1'))).added.length, 300);
      // Labels alone changed: announced here, a batch of 100 between two pauses; stop() comes in the first pause.
      const diff = await sharded.apply(targets('2'));
      assert.ok(stopping !== undefined, 'stopped during the announcements');
      assert.equal(diff.changed.length, 300, 'the diff was made whole before');
      assert.equal(seen.events.filter((e) => e.event === 'changed').length, 100, 'the batch in hand told, no later one');
    } finally {
      await (stopping ?? sharded.stop(1000));
    }
  });

  test('a service given its own clock cannot run its pings on worker threads, and says why', async () => {
    write([{ name: 'a', mode: 'echo' }]);
    await assert.rejects(
      () => Service.start(loadConfigFile(file, {}), { clock: new FakeClock() }),
      /scheduler\.workers runs the pings on worker threads, which cannot use the clock given/,
    );
  });
});
