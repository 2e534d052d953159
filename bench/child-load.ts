import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config/load.js';
import type { PingResult } from '../src/domain/ping.js';
import { openIcmpSocket } from '../src/icmp/raw.js';
import { setUpCapture } from '../src/icmp/setup.js';
import { contentTypes } from '../src/metrics/exposition.js';
import { defaultProbeContext, probers } from '../src/probe/index.js';
import type { ProbeContext } from '../src/probe/types.js';
import { Scheduler, type SchedulerObserver } from '../src/scheduler/scheduler.js';
import { Service } from '../src/service.js';
import { systemClock } from '../src/util/clock.js';
import { HOST } from './bare.js';
import { loadCommands, profileCommands, serveCommands } from './child.js';
import { type LoadSpec, loadTargets } from './load-spec.js';
import { fillPings, type Mix } from './rtt-mix.js';
import { spread } from './stats.js';

/**
 * Child: N targets pinged once a second each (or every spec.intervalMs; metrics.drop as spec.drop says)
 * against the target server at `spec.port`, by
 *   service   — the whole Service (scheduler, probes, metrics, status board, idle HTTP server),
 *   scheduler — the Scheduler and probes alone, with an observer that only counts.
 * The floor (a bare net.connect loop) is bench/child-bare.ts, which loads none of tcpping. The
 * parent reads CPU, pings and RSS at window boundaries.
 */
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;

const counts = { connects: 0, replies: 0, failures: 0 };
/** Samples are kept only while a named phase runs (the scrape benchmark), so the CPU runs stay lean. */
let phase: string | undefined;
const load = loadCommands(counts);
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
const tapLag = (lagSeconds: number) => {
  counts.connects++;
  load.lagUs(lagSeconds * 1e6);
  bucket()?.lagUs.push(lagSeconds * 1e6);
};
const tapObserver: SchedulerObserver = { pingStarted: (_t, lag) => tapLag(lag), pingFinished: (_t, r) => tapPing(r) };

const config = loadConfig(
  {
    log: { level: 'silent' },
    responder: { enabled: false },
    web: { listenAddress: `${HOST}:0` },
    icmp: { capture: spec.capture },
    scheduler: { workers: spec.workers ?? 0 },
    metrics: { drop: [...(spec.drop ?? [])] },
    defaults: { mode: spec.mode, count: 1, intervalMs: spec.intervalMs ?? 1000, pingIntervalMs: 0, timeoutMs: 1000 },
    targets: loadTargets(spec),
  },
  'bench',
  {},
);

let stop: () => Promise<void> = async () => {};
let service: Service | undefined;
let staticBody: Buffer = Buffer.alloc(0);

async function start(): Promise<void> {
  if (spec.kind === 'scheduler') {
    // With capture on, the probes watch for ICMP errors as the service's do.
    const capture = spec.capture === 'off' ? undefined : setUpCapture(spec.capture, openIcmpSocket, systemClock).capture;
    // Userland timing: plain node:net, no kernel record (no TCP_INFO through koffi).
    const base: ProbeContext = spec.kernel === false ? { clock: systemClock, connect } : defaultProbeContext;
    const probeContext: ProbeContext = capture ? { ...base, icmp: capture } : base;
    const scheduler = new Scheduler({ clock: systemClock, probers, probeContext }, tapObserver);
    await scheduler.apply(config.targets);
    stop = async () => {
      await scheduler.stop(2000);
      capture?.stop();
    };
  } else if (spec.kind === 'service') {
    // The taps join the observer road the metrics are fed from: one more call per ping.
    const svc = await Service.start(config, { observer: tapObserver });
    service = svc;
    stop = () => svc.stop();
  } else {
    throw new Error(`child-load: unknown kind ${spec.kind}`);
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
    ...profileCommands(),
    start: async () => {
      await start();
      return { webPort: service?.httpAddress?.port, staticPort: (staticServer.address() as AddressInfo).port };
    },
    ...load.commands,
    phase: (name) => {
      phase = name as string | undefined;
      return null;
    },
    taps: () => Object.fromEntries([...taps].map(([name, b]) => [name, { rttUs: spread(b.rttUs), lagUs: spread(b.lagUs) }])),
    /** `count` pings of every target, their RTTs of a mix (see rtt-mix.ts). */
    fill: (args) => {
      const { mix, count } = args as { mix: Mix; count: number };
      fillPings(service?.metrics.schedulerObserver, config.targets.length, mix, count);
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
