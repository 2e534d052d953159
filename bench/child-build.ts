import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/load.js';
import type { ExpositionFormat } from '../src/metrics/exposition.js';
import { Metrics } from '../src/metrics/metrics.js';
import { readMetricFamilies } from '../test/helpers/protobuf.js';
import { serveCommands } from './child.js';
import { fillPings, type Mix } from './rtt-mix.js';

/**
 * Child: the metrics of N targets and nothing else (no pings, no HTTP), so a build of the /metrics
 * body is timed alone: its wall time, and the longest the event loop waited for one of its chunks
 * (what a ping callback could wait).
 */
const targets = Number(process.argv[2]);
const drop: string[] = JSON.parse(process.argv[3] ?? '[]');
/** Connect mode (as (c) and (shard) ping): 5 loss reasons a target; echo mode 7. */
const mode = process.argv[4] === 'echo' ? 'echo' : 'connect';
const config = loadConfig(
  {
    metrics: { drop },
    targets: Array.from({ length: targets }, (_, i) => ({
      name: `target-${i}`,
      address: `127.0.0.1:${10_000 + (i % 50_000)}`,
      mode,
    })),
  },
  'bench',
  {},
);
const metrics = new Metrics(new Registry(), 'bench', { drop: config.metrics.drop });
for (const target of config.targets) metrics.schedulerObserver.targetAdded?.(target);

/** Series a text scraper stores: one per sample line. */
const textSeries = (body: Buffer) =>
  body
    .toString()
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#')).length;

/**
 * Series Prometheus 2.42 with native histograms stores from the protobuf body: one per histogram
 * with native buckets (its classic ones are not kept), else one per bucket, +Inf, sum and count.
 */
function storedSeries(body: Buffer): number {
  let n = 0;
  for (const family of readMetricFamilies(body)) {
    for (const m of family.metrics) {
      const h = m.histogram;
      if (!h) n += m.summary ? m.summary.quantiles.length + 2 : 1;
      else n += h.positiveSpans.length > 0 || h.schema !== 0 || h.zeroThreshold !== 0 ? 1 : h.buckets.length + 3;
    }
  }
  return n;
}

/**
 * The body's chunks as a scrape gets them (the server streams them to gzip and the socket): joined
 * after the build is timed, since a scrape never joins them.
 */
async function chunksOf(format: ExpositionFormat): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of metrics.expositionChunks(format)) chunks.push(chunk);
  return chunks;
}

/** Runs `build` while a setImmediate ticker records the longest gap between its turns. */
async function withLongestBlock(build: () => Promise<Uint8Array[]>): Promise<{ chunks: Uint8Array[]; blockMs: number }> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const chunks = await build();
  running = false;
  return { chunks, blockMs: longest };
}

serveCommands(
  {},
  {
    fill: (args) => {
      const { mix, count } = args as { mix: Mix; count: number };
      fillPings(metrics.schedulerObserver, targets, mix, count);
      return null;
    },
    build: async (args) => {
      const { format, n } = args as { format: ExpositionFormat; n: number };
      const ms: number[] = [];
      const cpuMs: number[] = [];
      const blockMs: number[] = [];
      // Unrecorded: the first build encodes every target's labels once, and warms up the JIT.
      let body = Buffer.concat(await chunksOf(format));
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const built = await withLongestBlock(() => chunksOf(format));
        ms.push(performance.now() - t0);
        const cpu = process.cpuUsage(c0);
        cpuMs.push((cpu.user + cpu.system) / 1000);
        blockMs.push(built.blockMs);
        body = Buffer.concat(built.chunks);
      }
      const t0 = performance.now();
      const zipped = gzipSync(body, { level: 1 });
      const gzipMs = performance.now() - t0;
      const series = format === 'text' ? textSeries(body) : storedSeries(body);
      return { ms, cpuMs, blockMs, bytes: body.length, gzipBytes: zipped.length, gzipMs, series };
    },
  },
);
