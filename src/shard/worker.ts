import { parentPort, workerData } from 'node:worker_threads';
import type { Target } from '../domain/target.js';
import { IcmpCapture } from '../icmp/capture.js';
import { defaultProbeContext, probers } from '../probe/index.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { systemClock } from '../util/clock.js';
import { deepFreeze } from '../util/freeze.js';
import { shareCores } from '../util/pace.js';
import type { FromWorker, ToWorker, WorkerSetup } from './messages.js';
import { Outbox } from './outbox.js';

/**
 * A probing worker: a scheduler of its own over its part of the targets, on its own event loop
 * (and core). Its events go to the service in batches; ICMP errors reach it as the service's raw
 * sockets read them (the raw-socket addon loads in the main thread only), and its own copy of
 * the matcher attributes them to its pings in flight.
 */
const port = parentPort;
if (!port) throw new Error('src/shard/worker.ts runs in a worker thread');
const setup = workerData as WorkerSetup;
const post = (message: FromWorker) => port.postMessage(message);

// This worker's changes pause between their slices (util/pace.ts): the service's other threads share the cores.
shareCores();
const outbox = new Outbox(post);
const capture = setup.icmp ? new IcmpCapture(systemClock) : undefined;
const scheduler = new Scheduler(
  { clock: systemClock, probers, probeContext: capture ? { ...defaultProbeContext, icmp: capture } : defaultProbeContext },
  outbox.observer,
);
/** Specs of the change under way, as their chunks came in (frozen, as the main thread's are). */
let incoming: Target[] = [];
/** Changes are applied one after another, in the order they came. */
let applying: Promise<void> = Promise.resolve();

async function apply(id: number, upserts: readonly Target[], removed: readonly string[]): Promise<void> {
  await scheduler.update(upserts, removed);
  outbox.flush();
  post({ kind: 'applied', id });
}

async function stop(abortAfterMs: number): Promise<void> {
  await scheduler.stop(abortAfterMs);
  outbox.flush();
  post({ kind: 'stopped' });
  port?.close();
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'icmp':
      for (const { family, packet, source } of message.packets) capture?.receive(family, packet, source);
      break;
    case 'specs':
      for (const spec of message.specs) incoming.push(deepFreeze(spec));
      post({ kind: 'took' });
      break;
    case 'apply': {
      const upserts = incoming;
      incoming = [];
      // A change that failed (a bug) ends the worker, which is started again on its targets: the
      // changes after it must not be skipped unanswered.
      applying = applying
        .then(() => apply(message.id, upserts, message.removed))
        .catch((error: unknown) => {
          setImmediate(() => {
            throw error;
          });
        });
      break;
    }
    case 'stop':
      void stop(message.abortAfterMs);
      break;
  }
});
