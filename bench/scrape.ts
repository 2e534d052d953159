import { get } from 'node:http';
import { type Child, spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import type { Row } from './report.js';
import type { Mix } from './rtt-mix.js';
import { loadNodeFlags } from './side-by-side.js';
import { median, pairedRatio, percentile, type Spread, sleep } from './stats.js';

/**
 * (d) /metrics at scale, every histogram filled with an hour of RTTs (3,600 each) of a realistic
 * mix. First the body is built alone, in a child with the metrics of `targets` targets and nothing
 * else: build time in both formats, the longest the event loop waited for a chunk, size raw and
 * gzipped; again with every histogram spread over 50 µs to 30 s (the worst case). Then the Service
 * with `targets` targets (1 ping/s each) runs in a child, the responder in another; quiet and
 * scrape phases alternate: this process GETs /metrics as a Prometheus with native histograms does
 * (protobuf, gzip), back to back (the worst case) and once a second (a 1 s scrape interval),
 * alternating with GETs of the same bytes from a bare node:http server in the same child (the
 * floor: the cost of moving them). Ping RTT and scheduler lag are compared between the phases.
 */
export interface ScrapeOptions {
  readonly targets: number;
  readonly warmupMs: number;
  readonly phaseMs: number;
  readonly pairs: number;
  /** Builds of the body timed per format and mix. */
  readonly builds: number;
  /** Each target's round interval (default 1 s): longer where one event loop cannot carry `targets` pings a second. */
  readonly intervalMs?: number;
  /** metrics.drop of the service measured. */
  readonly drop?: readonly string[];
  /** The targets' mode in the builds alone (default connect): an echo-mode target serves 2 loss reasons more. */
  readonly mode?: 'connect' | 'echo';
  /** scheduler.workers of the service measured: its pings on worker threads, off the thread that builds /metrics. */
  readonly workers?: number;
  /** The rows' section (default "d scrape"). */
  readonly section?: string;
}

const MAX_SCRAPES_PER_PHASE = 2000;
const SETTLE_MS = 1000;
const FILL = 3600;
/** What Prometheus 2.42 with --enable-feature=native-histograms sends. */
const NATIVE_HEADERS = {
  accept:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
};

/** A GET whose body is read as it comes off the wire (not unzipped): its time and size. */
function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // A socket idle this long fails the GET: 60 s, for 10,000 targets on a machine shared with others.
    const req = get(url, { headers: NATIVE_HEADERS, timeout: 60_000 }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve({ ms: performance.now() - t0, bytes }) : reject(new Error(`GET ${url}: ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}

type Taps = Record<string, { rttUs: Spread; lagUs: Spread }>;
type Build = { ms: number[]; blockMs: number[]; bytes: number; gzipBytes: number; gzipMs: number; series: number };
type Phase = { ms: number[]; staticMs: number[]; bytes: number[] };

async function builds(child: Child, n: number): Promise<{ text: Build; protobuf: Build }> {
  const text = await child.rpc<Build>('build', { format: 'text', n }, 300_000);
  const protobuf = await child.rpc<Build>('build', { format: 'protobuf', n }, 300_000);
  return { text, protobuf };
}

/** Build times of the body alone (no pings, no HTTP): an hour of RTTs of the realistic mix, then the worst case. */
export type Built = { realistic: { text: Build; protobuf: Build }; worst: { text: Build; protobuf: Build } };

export async function buildAlone(options: ScrapeOptions): Promise<Built> {
  const child = await spawnChild('./child-build.ts', [
    String(options.targets),
    JSON.stringify(options.drop ?? []),
    options.mode ?? 'connect',
  ]);
  try {
    await child.rpc('fill', { mix: 'realistic' satisfies Mix, count: FILL }, 300_000);
    const realistic = await builds(child, options.builds);
    await child.rpc('fill', { mix: 'worst' satisfies Mix, count: FILL }, 300_000);
    return { realistic, worst: await builds(child, options.builds) };
  } finally {
    await child.stop();
  }
}

async function scrapePhase(webPort: number, staticPort: number, phaseMs: number, everyMs: number): Promise<Phase> {
  const phase: Phase = { ms: [], staticMs: [], bytes: [] };
  const end = performance.now() + phaseMs;
  for (let i = 0; i < MAX_SCRAPES_PER_PHASE && performance.now() < end; i++) {
    const t0 = performance.now();
    const real = await timedGet(`http://127.0.0.1:${webPort}/metrics`);
    phase.ms.push(real.ms);
    phase.bytes.push(real.bytes);
    phase.staticMs.push((await timedGet(`http://127.0.0.1:${staticPort}/`)).ms);
    if (everyMs > 0) await sleep(Math.max(0, everyMs - (performance.now() - t0)));
  }
  return phase;
}

export async function runScrape(options: ScrapeOptions): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const built = await buildAlone(options);
  const loaded = await runLoaded(options);
  const [realistic, worst] = builtRows(options, built);
  return { rows: [...realistic, ...loadedRows(options, loaded), ...worst], raw: { options, ...built, ...loaded } };
}

export type Loaded = { backToBack: Phase[]; paced: Phase[]; taps: Taps };

/** The service with `targets` targets, quiet and scrape phases alternating. */
export async function runLoaded(options: ScrapeOptions): Promise<Loaded> {
  const responder = await spawnChild('./child-server.ts', ['responder']);
  let load: Child | undefined;
  try {
    const spec: LoadSpec = {
      kind: 'service',
      port: responder.ready.port as number,
      targets: options.targets,
      mode: 'echo',
      capture: 'off',
      intervalMs: options.intervalMs ?? 1000,
      drop: options.drop ?? [],
      workers: options.workers ?? 0,
    };
    load = await spawnChild('./child-load.ts', [JSON.stringify(spec)], { execArgv: loadNodeFlags(spec) });
    const { webPort, staticPort } = await load.rpc<{ webPort: number; staticPort: number }>('start');
    await sleep(options.warmupMs);
    await load.rpc('fill', { mix: 'realistic' satisfies Mix, count: FILL }, 300_000);
    await load.rpc('prepareStatic', undefined, 300_000);
    const backToBack: Phase[] = [];
    const paced: Phase[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      // Unrecorded settle time, so a quiet phase does not catch the tail (GC) of the scrapes before it.
      await load.rpc('phase', undefined);
      await sleep(SETTLE_MS);
      await load.rpc('phase', `quiet-${pair}`);
      await sleep(options.phaseMs);
      await load.rpc('phase', `scrape-${pair}`);
      backToBack.push(await scrapePhase(webPort, staticPort, options.phaseMs, 0));
      await load.rpc('phase', `paced-${pair}`);
      paced.push(await scrapePhase(webPort, staticPort, options.phaseMs, 1000));
    }
    await load.rpc('phase', undefined);
    return { backToBack, paced, taps: await load.rpc<Taps>('taps') };
  } finally {
    await load?.stop();
    await responder.stop();
  }
}

const KiB = 1024;
const absolute = (section: string, name: string, unit: string, ours: number, note: string): Row => ({
  section,
  name,
  unit,
  ours,
  floor: Number.NaN,
  ratio: Number.NaN,
  note,
});

function buildRows(section: string, label: string, b: { text: Build; protobuf: Build }, goal: string): Row[] {
  const note = (x: Build) =>
    `p99 ${percentile(x.ms, 99).toFixed(1)} ms over ${x.ms.length}, ${goal}; event loop held at most ${percentile(x.blockMs, 50).toFixed(1)} ms (median over builds)`;
  const size = (x: Build) => `${(x.bytes / KiB).toFixed(0)} KiB raw, gzip level 1 in ${x.gzipMs.toFixed(1)} ms`;
  return [
    absolute(
      section,
      `build ${label}, protobuf, p50`,
      'ms',
      median(b.protobuf.ms),
      `${note(b.protobuf)}; ${b.protobuf.series} series stored (native histograms on)`,
    ),
    absolute(section, `build ${label}, text, p50`, 'ms', median(b.text.ms), `${note(b.text)}; ${b.text.series} series`),
    absolute(section, `body ${label}, protobuf, gzipped`, 'KiB', b.protobuf.gzipBytes / KiB, size(b.protobuf)),
    absolute(section, `body ${label}, text, gzipped`, 'KiB', b.text.gzipBytes / KiB, size(b.text)),
  ];
}

/** The rows of the builds alone: an hour of RTTs, and the worst case. */
export function builtRows(options: ScrapeOptions, b: Built): [Row[], Row[]] {
  const section = options.section ?? 'd scrape';
  // 50 ms at 1,000 targets (the README's), 250 ms at 10,000 (issue 15's).
  const goal = `goal < ${options.targets > 1000 ? 250 : 50} ms p99`;
  return [
    buildRows(section, 'alone, an hour of RTTs', b.realistic, goal),
    buildRows(section, 'alone, worst case (every histogram 50 µs-30 s)', b.worst, goal),
  ];
}

export function loadedRows(options: ScrapeOptions, r: Loaded): Row[] {
  const section = options.section ?? 'd scrape';
  const scrapes = r.backToBack.reduce((n, p) => n + p.ms.length, 0);
  const p50 = r.backToBack.map((p) => median(p.ms));
  const p99 = r.backToBack.map((p) => percentile(p.ms, 99));
  const s50 = r.backToBack.map((p) => median(p.staticMs));
  const s99 = r.backToBack.map((p) => percentile(p.staticMs, 99));
  const tap = (prefix: string, key: 'rttUs' | 'lagUs', p: 'p50' | 'p99') =>
    Array.from({ length: options.pairs }, (_, i) => r.taps[`${prefix}-${i}`]?.[key][p] ?? Number.NaN);
  const versusQuiet = (phase: 'scrape' | 'paced', name: string, key: 'rttUs' | 'lagUs', p: 'p50' | 'p99', note?: string): Row => {
    const ours = median(tap(phase, key, p));
    const floor = median(tap('quiet', key, p));
    // Lag is often 0 when quiet: a ratio means nothing there, the difference does.
    const ratio = key === 'lagUs' ? Number.NaN : pairedRatio(tap(phase, key, p), tap('quiet', key, p));
    const added = `+${((ours - floor) / 1000).toFixed(2)} ms`;
    return { section, name, unit: 'µs', ours, floor, ratio, note: note ? `${note}; ${added}` : added };
  };
  return [
    {
      section,
      name: 'GET /metrics p50 (protobuf, gzip)',
      unit: 'ms',
      ours: median(p50),
      floor: median(s50),
      ratio: pairedRatio(p50, s50),
      note: `${options.targets} targets every ${(options.intervalMs ?? 1000) / 1000} s, ${scrapes} scrapes back to back; floor: the same bytes from a static server; ${(median(r.backToBack.flatMap((p) => p.bytes)) / KiB).toFixed(0)} KiB on the wire`,
    },
    { section, name: 'GET /metrics p99 (protobuf, gzip)', unit: 'ms', ours: median(p99), floor: median(s99), ratio: pairedRatio(p99, s99) },
    versusQuiet('scrape', 'ping RTT p50, scraping back to back', 'rttUs', 'p50', 'floor: same run, quiet phases'),
    versusQuiet('scrape', 'ping RTT p99, scraping back to back', 'rttUs', 'p99', 'goal: < 1 ms added'),
    versusQuiet('paced', 'ping RTT p50, scraping once a second', 'rttUs', 'p50'),
    versusQuiet('paced', 'ping RTT p99, scraping once a second', 'rttUs', 'p99', 'goal: < 1 ms added'),
    versusQuiet('scrape', 'scheduler lag p50, scraping back to back', 'lagUs', 'p50'),
    versusQuiet('scrape', 'scheduler lag p99, scraping back to back', 'lagUs', 'p99'),
  ];
}
