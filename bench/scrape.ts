import { type Child, spawnChild } from './child.js';
import type { Row } from './report.js';
import { median, pairedRatio, percentile, type Spread, sleep } from './stats.js';

/**
 * (d) /metrics at scale: the Service with `targets` targets (1 ping/s each) in a child, the
 * responder in another. After a warm-up, quiet and scrape phases alternate: in a scrape phase this
 * process GETs /metrics back to back (worst case), alternating with GETs of a static body of the
 * same size from a bare node:http server in the same child (the floor: the cost of moving the
 * bytes). Ping RTT and scheduler lag are compared between the phases.
 */
export interface ScrapeOptions {
  readonly targets: number;
  readonly warmupMs: number;
  readonly phaseMs: number;
  readonly pairs: number;
  readonly selfScrapes: number;
}

const MAX_SCRAPES_PER_PHASE = 2000;
const SETTLE_MS = 1000;

async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return { ms: performance.now() - t0, bytes: body.byteLength };
}

type Taps = Record<string, { rttUs: Spread; lagUs: Spread }>;

export async function runScrape(options: ScrapeOptions): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const responder = await spawnChild('./child-server.ts', ['responder']);
  let load: Child | undefined;
  try {
    load = await spawnChild('./child-load.ts', ['service', String(responder.ready.port), String(options.targets)]);
    const { webPort, staticPort } = await load.rpc<{ webPort: number; staticPort: number }>('start');
    await sleep(options.warmupMs);
    const first = await load.rpc<{ ms: number[]; bytes: number; series: number }>('selfScrape', 1); // fills the static body
    const http: { ms: number[]; staticMs: number[]; bytes: number[] }[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      // Unrecorded settle time, so a quiet phase does not catch the tail (GC) of the scrapes before it.
      await load.rpc('phase', undefined);
      await sleep(SETTLE_MS);
      await load.rpc('phase', `quiet-${pair}`);
      await sleep(options.phaseMs);
      await load.rpc('phase', `scrape-${pair}`);
      const phase = { ms: [] as number[], staticMs: [] as number[], bytes: [] as number[] };
      const end = performance.now() + options.phaseMs;
      for (let i = 0; i < MAX_SCRAPES_PER_PHASE && performance.now() < end; i++) {
        const real = await timedGet(`http://127.0.0.1:${webPort}/metrics`);
        phase.ms.push(real.ms);
        phase.bytes.push(real.bytes);
        phase.staticMs.push((await timedGet(`http://127.0.0.1:${staticPort}/`)).ms);
      }
      http.push(phase);
    }
    await load.rpc('phase', undefined);
    const taps = await load.rpc<Taps>('taps');
    const self = await load.rpc<{ ms: number[]; bytes: number; series: number }>('selfScrape', options.selfScrapes, 120_000);
    return {
      rows: rows(options, http, taps, self),
      raw: { options, http, taps, self, firstBody: { bytes: first.bytes, series: first.series } },
    };
  } finally {
    await load?.stop();
    await responder.stop();
  }
}

function rows(
  options: ScrapeOptions,
  http: { ms: number[]; staticMs: number[]; bytes: number[] }[],
  taps: Taps,
  self: { ms: number[]; bytes: number; series: number },
): Row[] {
  const perPair = (f: (p: (typeof http)[number]) => number) => http.map(f);
  const p50 = perPair((p) => median(p.ms));
  const p99 = perPair((p) => percentile(p.ms, 99));
  const s50 = perPair((p) => median(p.staticMs));
  const s99 = perPair((p) => percentile(p.staticMs, 99));
  const scrapes = http.reduce((n, p) => n + p.ms.length, 0);
  const tap = (prefix: string, key: 'rttUs' | 'lagUs', p: 'p50' | 'p99') =>
    Array.from({ length: options.pairs }, (_, i) => taps[`${prefix}-${i}`]?.[key][p] ?? Number.NaN);
  const duringVsQuiet = (name: string, key: 'rttUs' | 'lagUs', p: 'p50' | 'p99', note?: string): Row => {
    const ours = median(tap('scrape', key, p));
    const floor = median(tap('quiet', key, p));
    // Lag is often 0 when quiet: a ratio means nothing there, the difference does.
    const ratio = key === 'lagUs' ? Number.NaN : pairedRatio(tap('scrape', key, p), tap('quiet', key, p));
    const added = `+${((ours - floor) / 1000).toFixed(1)} ms`;
    return { section: 'd scrape', name, unit: 'µs', ours, floor, ratio, note: note ? `${note}; ${added}` : added };
  };
  const size = median(http.flatMap((p) => p.bytes));
  return [
    {
      section: 'd scrape',
      name: 'GET /metrics p50',
      unit: 'ms',
      ours: median(p50),
      floor: median(s50),
      ratio: pairedRatio(p50, s50),
      note: `${options.targets} targets, ${scrapes} scrapes back to back; floor: static body, same size (goal < 50 ms)`,
    },
    { section: 'd scrape', name: 'GET /metrics p99', unit: 'ms', ours: median(p99), floor: median(s99), ratio: pairedRatio(p99, s99) },
    {
      section: 'd scrape',
      name: 'metrics.exposition() in-process p50',
      unit: 'ms',
      ours: median(self.ms),
      floor: Number.NaN,
      ratio: Number.NaN,
      note: `p99 ${percentile(self.ms, 99).toFixed(1)} ms over ${self.ms.length}; no floor: absolute goal < 50 ms`,
    },
    {
      section: 'd scrape',
      name: 'body size',
      unit: 'KiB',
      ours: size / 1024,
      floor: Number.NaN,
      ratio: Number.NaN,
      note: `${self.series} series`,
    },
    duringVsQuiet('ping RTT p50 during scrapes', 'rttUs', 'p50', 'floor: same run, quiet phases'),
    duringVsQuiet('ping RTT p99 during scrapes', 'rttUs', 'p99'),
    duringVsQuiet('scheduler lag p50 during scrapes', 'lagUs', 'p50'),
    duringVsQuiet('scheduler lag p99 during scrapes', 'lagUs', 'p99'),
  ];
}
