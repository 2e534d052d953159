import { createServer } from 'node:http';
import { type AddressInfo, connect, type NetConnectOpts } from 'node:net';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config/load.js';
import type { PingResult } from '../src/domain/ping.js';
import { contentTypes } from '../src/metrics/exposition.js';
import { defaultProbeContext, probers } from '../src/probe/index.js';
import { Scheduler, type SchedulerObserver } from '../src/scheduler/scheduler.js';
import { Service } from '../src/service.js';
import { systemClock } from '../src/util/clock.js';
import { bareNewPing, HOST } from './bare.js';
import { cpuMicros, serveCommands } from './child.js';
import { fillHistograms, type Mix } from './rtt-mix.js';
import { spread } from './stats.js';

/**
 * Child: N targets pinged once a second each (or every intervalMs; metrics.drop as given) (new connection per ping, echo mode) against the
 * responder child at `port`, by one of
 *   service   — the whole Service (scheduler, probes, metrics, status board, idle HTTP server),
 *   scheduler — the Scheduler and probes alone, with a no-op observer,
 *   bare      — a setTimeout chain per target calling the bare new-connection ping.
 * The parent reads CPU, pings and RSS at window boundaries.
 */
const [kind = '', portText = '', targetsText = '', intervalText = '1000', dropJson = '[]'] = process.argv.slice(2);
const port = Number(portText);
const targets = Number(targetsText);
/** Each target's round interval: 1 s, or longer where one loop cannot carry `targets` pings a second. */
const INTERVAL_MS = Number(intervalText);

const counts = { connects: 0, replies: 0, failures: 0 };
/** Samples are kept only while a named phase runs (the scrape benchmark), so the CPU runs stay lean. */
let phase: string | undefined;
const taps = new Map<string, { rttUs: number[]; lagUs: number[] }>();
const bucket = () => {
  if (phase === undefined) return undefined;
  const b = taps.get(phase) ?? { rttUs: [], lagUs: [] };
  taps.set(phase, b);
  return b;
};
const tapPing = (result: PingResult) => {
  if (result.ok) counts.replies++;
  else counts.failures++;
  if (result.ok) bucket()?.rttUs.push(result.value.rttSeconds * 1e6);
};
const tapLag = (lagSeconds: number) => bucket()?.lagUs.push(lagSeconds * 1e6);
const tapObserver: SchedulerObserver = { pingStarted: (_t, lag) => tapLag(lag), pingFinished: (_t, r) => tapPing(r) };
const countingConnect = (options: NetConnectOpts) => {
  counts.connects++;
  return connect(options);
};
const probeContext = { ...defaultProbeContext, connect: countingConnect };

const config = loadConfig(
  {
    log: { level: 'silent' },
    responder: { enabled: false },
    web: { listenAddress: `${HOST}:0` },
    icmp: { capture: 'off' },
    metrics: { drop: JSON.parse(dropJson) },
    defaults: { mode: 'echo', count: 1, intervalMs: INTERVAL_MS, pingIntervalMs: 0, timeoutMs: 1000 },
    targets: Array.from({ length: targets }, (_, i) => ({ name: `target-${i}`, address: `${HOST}:${port}` })),
  },
  'bench',
  {},
);

let stop: () => Promise<void> = async () => {};
let service: Service | undefined;
let staticBody: Buffer = Buffer.alloc(0);

function startBare(): () => Promise<void> {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const tick = (i: number, plannedMs: number) => {
    if (stopped) return;
    tapLag(Math.max(0, performance.now() - plannedMs) / 1000);
    counts.connects++;
    bareNewPing(port, 1).then(
      (t) => tapPing({ ok: true, value: { seq: 1, rttSeconds: Number(t.rttNs) / 1e9 } }),
      () => tapPing({ ok: false, error: { seq: 1, reason: 'error', detail: '' } }),
    );
    const next = plannedMs + INTERVAL_MS;
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(i, next);
    }, next - performance.now());
    timers.add(timer);
  };
  const now = performance.now();
  for (let i = 0; i < targets; i++) {
    const at = now + Math.floor((i * INTERVAL_MS) / targets);
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(i, at);
    }, at - now);
    timers.add(timer);
  }
  return async () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  };
}

async function start(): Promise<void> {
  if (kind === 'bare') {
    stop = startBare();
  } else if (kind === 'scheduler') {
    const scheduler = new Scheduler({ clock: systemClock, probers, probeContext }, tapObserver);
    await scheduler.apply(config.targets);
    stop = () => scheduler.stop(2000);
  } else if (kind === 'service') {
    // The taps join the observer road the metrics are fed from: one more call per ping.
    const svc = await Service.start(config, { probeContext, observer: tapObserver });
    service = svc;
    stop = () => svc.stop();
  } else {
    throw new Error(`child-load: unknown kind ${kind}`);
  }
}

const staticServer = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': contentTypes.protobuf, 'content-encoding': 'gzip' });
  res.end(staticBody);
});
await new Promise<void>((resolve) => staticServer.listen({ host: HOST, port: 0 }, resolve));

serveCommands(
  { rssBytes: process.memoryUsage().rss },
  {
    start: async () => {
      await start();
      return { webPort: service?.httpAddress?.port, staticPort: (staticServer.address() as AddressInfo).port };
    },
    window: () => ({ atMs: performance.now(), cpuUs: cpuMicros(), ...counts, ...process.memoryUsage() }),
    phase: (name) => {
      phase = name as string | undefined;
      return null;
    },
    taps: () => Object.fromEntries([...taps].map(([name, b]) => [name, { rttUs: spread(b.rttUs), lagUs: spread(b.lagUs) }])),
    /** Fills every target's histograms with `count` RTTs of a mix (see rtt-mix.ts). */
    fill: (args) => {
      const { mix, count } = args as { mix: Mix; count: number };
      fillHistograms(service?.metrics.schedulerObserver, targets, mix, count);
      return null;
    },
    /** The /metrics body as a Prometheus with native histograms gets it (protobuf, gzipped): what the static floor server sends. */
    prepareStatic: async () => {
      staticBody = gzipSync((await service?.metrics.exposition('protobuf')) ?? Buffer.alloc(0), { level: 1 });
      return staticBody.length;
    },
  },
  async () => {
    await stop();
    staticServer.close();
  },
);
