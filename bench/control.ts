import { spawn } from 'node:child_process';
import { type PingerResult, percentileOf, pingerApart, pingsBetween, type Served, serve, sleep } from '../test/abuse/attacks.js';
import { closedPort } from '../test/helpers/servers.js';
import type { Row } from './report.js';
import { median } from './stats.js';

/**
 * (control) The control plane must not starve the data plane: `tcpping serve` with 1,000 targets
 * pinging its own responder (one ping per target every intervalMs), and a client outside pinging it 20 times a second.
 * Quiet phases alternate with phases in which a child under `nice` hammers the web port (two
 * browsers reloading / back to back, /metrics and /api/v1/targets?history=1 back to back) and sends
 * 75 SIGHUPs a second: on 2 shared cores the hammering client's own CPU would otherwise starve
 * everything, which is not what is measured. The service's own pings are read from /metrics (p99 interpolated in the RTT
 * histogram's buckets, as histogram_quantile does), the outside client's exactly.
 */
export interface ControlOptions {
  readonly bin: string;
  readonly targets: number;
  /** Each target's round interval (one ping per round). */
  readonly intervalMs: number;
  readonly warmupMs: number;
  readonly phaseMs: number;
  readonly pairs: number;
}

interface Counts {
  sent: number;
  lost: number;
  skipped: number;
  buckets: Map<number, number>;
}

async function counts(webPort: number): Promise<Counts> {
  const text = await (await fetch(`http://127.0.0.1:${webPort}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const c: Counts = { sent: 0, lost: 0, skipped: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('tcpping_pings_sent_total{')) c.sent += value;
    else if (line.startsWith('tcpping_pings_lost_total{')) c.lost += value;
    else if (line.startsWith('tcpping_rounds_skipped_total{')) c.skipped += value;
    else if (line.startsWith('tcpping_rtt_seconds_bucket{')) {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '+Inf';
      const key = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      c.buckets.set(key, (c.buckets.get(key) ?? 0) + value);
    }
  }
  return c;
}

/** The 99th percentile of the RTTs observed between two snapshots, in ms, interpolated within its bucket. */
function p99Ms(a: Counts, b: Counts): number {
  const les = [...b.buckets.keys()].sort((x, y) => x - y);
  const delta = les.map((le) => (b.buckets.get(le) ?? 0) - (a.buckets.get(le) ?? 0));
  const total = delta[delta.length - 1] ?? 0;
  const rank = 0.99 * total;
  for (let i = 0; i < les.length; i++) {
    if ((delta[i] as number) < rank) continue;
    const lower = i === 0 ? 0 : (les[i - 1] as number);
    const upper = les[i] as number;
    if (!Number.isFinite(upper)) return lower * 1000;
    const below = i === 0 ? 0 : (delta[i - 1] as number);
    return (lower + ((upper - lower) * (rank - below)) / Math.max(1, (delta[i] as number) - below)) * 1000;
  }
  return Number.NaN;
}

/** The hammering, from a child under `nice -n 10` (see hammer.ts). */
function hammer(service: Served, durationMs: number): Promise<{ requests: number; failures: number; hups: number }> {
  const args = [
    '-n',
    '10',
    process.execPath,
    '--import',
    'tsx',
    'bench/hammer.ts',
    String(service.webPort),
    String(durationMs),
    String(service.child.pid),
  ];
  const child = spawn('nice', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`hammer exited ${code}`))));
  });
}

export async function runControl(
  options: ControlOptions,
  log: (line: string) => void,
): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const port = await closedPort();
  const config = {
    log: { level: 'info' },
    responder: { listen: `127.0.0.1:${port}`, dropRate: 0 },
    web: { listenAddress: '127.0.0.1:0' },
    icmp: { capture: 'off' },
    defaults: { count: 1, intervalMs: options.intervalMs, timeoutMs: 1000 },
    targets: Array.from({ length: options.targets }, (_, i) => ({ name: `t${i}`, address: `127.0.0.1:${port}` })),
  };
  const service = await serve(config, options.bin, 20_000);
  const phases: {
    kind: 'quiet' | 'hammer';
    own: { lossPct: number; p99Ms: number; skipped: number };
    outside: PingerResult;
    web?: unknown;
  }[] = [];
  // One outside client for the whole run, started before the first phase; its pings are split by phase.
  const pinger = pingerApart(port, 20, options.warmupMs + options.pairs * 2 * (options.phaseMs + 5000));
  try {
    await sleep(options.warmupMs);
    for (let pair = 0; pair < options.pairs; pair++) {
      for (const kind of ['quiet', 'hammer'] as const) {
        log(`control: ${kind} ${pair + 1}/${options.pairs}…`);
        const before = await counts(service.webPort);
        const from = Date.now();
        const web = kind === 'hammer' ? await hammer(service, options.phaseMs) : await sleep(options.phaseMs);
        const to = Date.now();
        // Let the pings of the phase finish before reading the counters.
        await sleep(1200);
        const after = await counts(service.webPort);
        const outside = pingsBetween(pinger.lines, from, to);
        const sent = after.sent - before.sent;
        phases.push({
          kind,
          own: {
            lossPct: (100 * (after.lost - before.lost)) / Math.max(1, sent),
            p99Ms: p99Ms(before, after),
            skipped: after.skipped - before.skipped,
          },
          outside,
          web,
        });
        await sleep(2000);
      }
    }
  } finally {
    pinger.stop();
    await Promise.all([service.stop(), pinger.done]);
  }
  const of = (kind: 'quiet' | 'hammer', f: (p: (typeof phases)[number]) => number) => median(phases.filter((p) => p.kind === kind).map(f));
  const outsideLoss = (p: (typeof phases)[number]) => (100 * p.outside.lost) / Math.max(1, p.outside.sent);
  const outsideP99 = (p: (typeof phases)[number]) => percentileOf(p.outside.rttMs, 99);
  const mk = (name: string, unit: string, f: (p: (typeof phases)[number]) => number, note = ''): Row => {
    const quiet = of('quiet', f);
    const loud = of('hammer', f);
    return {
      section: 'control',
      name,
      unit,
      ours: loud,
      floor: quiet,
      ratio: Number.NaN,
      note: `${note}added ${(loud - quiet).toFixed(2)}`,
    };
  };
  const rows = [
    mk(
      "service's own pings: loss",
      '%',
      (p) => p.own.lossPct,
      `${options.targets} targets, 1 ping per ${options.intervalMs / 1000} s each; floor: quiet phases; `,
    ),
    mk("service's own pings: RTT p99", 'ms', (p) => p.own.p99Ms, 'from the RTT histogram; '),
    mk('outside client: loss', '%', outsideLoss, '20 pings/s; '),
    mk('outside client: RTT p99', 'ms', outsideP99),
    mk('rounds skipped per phase', '', (p) => p.own.skipped),
  ];
  return { rows, raw: { options, phases } };
}
