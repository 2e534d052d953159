import { spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import type { Row } from './report.js';
import { sideBySide, type WindowFigures } from './side-by-side.js';
import { median, rotated } from './stats.js';

/**
 * (shard) Every core: `targets` targets at 1 ping/s, connect mode, ICMP capture and kernel timing
 * on, run by the whole service with its pings on the main thread (workers 0) and on 1 and 2 worker
 * threads, and by the floor (a bare net.connect loop on one thread). Each load runs alone: at
 * 10,000 targets two would saturate this 2-core machine, which also runs the target server. Per
 * load: pings carried per second, CPU per ping and cores used (every thread of the process), the
 * scheduler lag (each ping's start against its planned time, measured on the thread that sends
 * it), pings lost, RSS; and the target server's CPU beside it (a listener the kernel answers alone:
 * a Node.js target server would need a core of its own for 10,000 connections a second).
 */
export interface ShardOptions {
  readonly targets: number;
  readonly workers: readonly number[];
  readonly windows: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly passes: number;
}

interface Figures {
  windows: WindowFigures[];
  lagP50Us: number[];
  lagP99Us: number[];
  serverCoreShare: number[];
}

export async function runShard(options: ShardOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const server = await spawnChild('./child-server.ts', ['kernel']);
  const figures: Record<string, Figures> = {};
  try {
    const port = server.ready.port as number;
    const base = { port, targets: options.targets, mode: 'connect', capture: 'on' } as const;
    const loads: Record<string, LoadSpec> = { bare: { ...base, kind: 'bare' } };
    for (const workers of options.workers) loads[`workers ${workers}`] = { ...base, kind: 'service', workers };
    for (let pass = 0; pass < options.passes; pass++) {
      for (const name of rotated(Object.keys(loads), pass)) {
        const before = await server.rpc<{ cpuUs: number }>('stats');
        const startedMs = performance.now();
        const r = await sideBySide({ [name]: loads[name] as LoadSpec }, options);
        const after = await server.rpc<{ cpuUs: number }>('stats');
        figures[name] ??= { windows: [], lagP50Us: [], lagP99Us: [], serverCoreShare: [] };
        const f = figures[name];
        const ws = r.windows[name] ?? [];
        f.windows.push(...ws);
        f.lagP50Us.push(r.lagUs[name]?.p50 ?? Number.NaN);
        f.lagP99Us.push(r.lagUs[name]?.p99 ?? Number.NaN);
        f.serverCoreShare.push((after.cpuUs - before.cpuUs) / ((performance.now() - startedMs) * 1000));
        const carried = ws.map((w) => w.pingsPerSecond.toFixed(0)).join(' ');
        log(
          `  (shard) pass ${pass + 1} ${name}: pings/s ${carried}; µs/ping ${ws.map((w) => w.cpuUsPerPing.toFixed(0)).join(' ')}; lag p99 ${((r.lagUs[name]?.p99 ?? Number.NaN) / 1000).toFixed(1)} ms; lost ${ws.reduce((s, w) => s + w.failures, 0)}`,
        );
      }
    }
  } finally {
    await server.stop();
  }
  const section = 'shard';
  const bare = figures.bare as Figures;
  const med = (f: Figures, key: keyof WindowFigures) => median(f.windows.map((w) => w[key]));
  const cores = (f: Figures) => median(f.windows.map((w) => (w.pingsPerSecond * w.cpuUsPerPing) / 1e6));
  const setup = `${options.targets} targets x 1/s, connect, capture + kernel timing on; ${options.passes} x ${options.windows} windows of ${options.windowMs / 1000} s, each load alone`;
  const rows: Row[] = [];
  for (const [name, f] of Object.entries(figures)) {
    const lost = f.windows.reduce((s, w) => s + w.failures, 0);
    const pings = f.windows.reduce((s, w) => s + (w.pingsPerSecond * options.windowMs) / 1000, 0);
    rows.push(
      {
        section,
        name: `pings/s carried: ${name}`,
        unit: '/s',
        ours: med(f, 'pingsPerSecond'),
        floor: med(bare, 'pingsPerSecond'),
        ratio: med(f, 'pingsPerSecond') / med(bare, 'pingsPerSecond'),
        note: `${setup}; of ${options.targets}/s planned`,
      },
      {
        section,
        name: `CPU per ping: ${name}`,
        unit: 'µs',
        ours: med(f, 'cpuUsPerPing'),
        floor: med(bare, 'cpuUsPerPing'),
        ratio: med(f, 'cpuUsPerPing') / med(bare, 'cpuUsPerPing'),
        note: `main thread ${med(f, 'mainCpuUsPerPing').toFixed(0)} µs of it; cores used ${cores(f).toFixed(2)} (floor ${cores(bare).toFixed(2)}); targets per core at 1/s ${(1e6 / med(f, 'cpuUsPerPing')).toFixed(0)}; target server ${median(f.serverCoreShare).toFixed(2)} cores beside it`,
      },
      {
        section,
        name: `scheduler lag p99: ${name}`,
        unit: 'µs',
        ours: median(f.lagP99Us),
        floor: median(bare.lagP99Us),
        ratio: median(f.lagP99Us) / median(bare.lagP99Us),
        note: `p50 ${(median(f.lagP50Us) / 1000).toFixed(2)} ms; pings lost ${lost} of about ${pings.toFixed(0)}`,
      },
      {
        section,
        name: `RSS: ${name}`,
        unit: 'MiB',
        ours: med(f, 'rssMiB'),
        floor: med(bare, 'rssMiB'),
        ratio: med(f, 'rssMiB') / med(bare, 'rssMiB'),
      },
    );
  }
  return { rows, raw: { options, figures } };
}
