import { type Child, spawnChild } from './child.js';
import type { Row } from './report.js';
import { median, pairedRatio, sleep } from './stats.js';

/**
 * (c) Cost at scale: `targets` targets at 1 ping/s each (echo, new connection per ping) for
 * `durationMs`, each load in a fresh child process so its CPU and RSS are its own; the responder
 * runs in another child. Passes run the kinds in alternating order; within a run the figure is the
 * median over windows (after a warm-up), across runs the median.
 */
export interface ScaleOptions {
  readonly targets: number;
  readonly durationMs: number;
  readonly windows: number;
  readonly warmupMs: number;
  readonly passes: number;
}

type Kind = 'service' | 'scheduler' | 'bare';
type Window = { atMs: number; cpuUs: number; connects: number; replies: number; failures: number; rss: number; heapUsed: number };
interface Run {
  readonly cpuUsPerPing: number;
  readonly pingsPerSecond: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly idleRssMiB: number;
  readonly failures: number;
  readonly responderCpuUsPerPing: number;
}

const MiB = 1024 * 1024;

async function measure(kind: Kind, responder: Child, options: ScaleOptions): Promise<Run> {
  const load = await spawnChild('./child-load.ts', [kind, String(responder.ready.port), String(options.targets)]);
  try {
    await load.rpc('start');
    await sleep(options.warmupMs);
    const rs0 = await responder.rpc<{ cpuUs: number; answered: number }>('stats');
    const windows: Window[] = [await load.rpc<Window>('window')];
    for (let i = 0; i < options.windows; i++) {
      await sleep(options.durationMs / options.windows);
      windows.push(await load.rpc<Window>('window'));
    }
    const rs1 = await responder.rpc<{ cpuUs: number; answered: number }>('stats');
    const deltas = windows.slice(1).map((w, i) => {
      const prev = windows[i] as Window;
      const pings = w.connects - prev.connects;
      return { cpuUsPerPing: (w.cpuUs - prev.cpuUs) / Math.max(1, pings), perSecond: (pings * 1000) / (w.atMs - prev.atMs) };
    });
    const last = windows.at(-1) as Window;
    const first = windows[0] as Window;
    return {
      cpuUsPerPing: median(deltas.map((d) => d.cpuUsPerPing)),
      pingsPerSecond: median(deltas.map((d) => d.perSecond)),
      rssMiB: median(windows.slice(1).map((w) => w.rss / MiB)),
      heapMiB: median(windows.slice(1).map((w) => w.heapUsed / MiB)),
      idleRssMiB: (load.ready.rssBytes as number) / MiB,
      failures: last.failures - first.failures,
      responderCpuUsPerPing: (rs1.cpuUs - rs0.cpuUs) / Math.max(1, rs1.answered - rs0.answered),
    };
  } finally {
    await load.stop();
  }
}

export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const runs: Record<Kind, Run[]> = { service: [], scheduler: [], bare: [] };
  const responder = await spawnChild('./child-server.ts', ['responder']);
  try {
    for (let pass = 0; pass < options.passes; pass++) {
      const order: Kind[] = pass % 2 === 0 ? ['service', 'bare', 'scheduler'] : ['scheduler', 'bare', 'service'];
      for (const kind of order) {
        const run = await measure(kind, responder, options);
        log(
          `  (c) pass ${pass + 1} ${kind}: ${run.cpuUsPerPing.toFixed(1)} µs/ping, ${run.pingsPerSecond.toFixed(0)} pings/s, RSS ${run.rssMiB.toFixed(1)} MiB`,
        );
        runs[kind].push(run);
      }
    }
  } finally {
    await responder.stop();
  }
  const pick = (kind: Kind, key: keyof Run) => runs[kind].map((r) => r[key]);
  const row = (name: string, kind: Kind, key: keyof Run, unit: string, note?: string): Row => ({
    section: 'c scale',
    name,
    unit,
    ours: median(pick(kind, key)),
    floor: median(pick('bare', key)),
    ratio: pairedRatio(pick(kind, key), pick('bare', key)),
    ...(note ? { note } : {}),
  });
  const failed = (kind: Kind) => runs[kind].reduce((sum, r) => sum + r.failures, 0);
  const failures = `failed pings: service ${failed('service')}, scheduler ${failed('scheduler')}, bare ${failed('bare')}`;
  const setup = `${options.targets} targets x 1/s, ${options.passes}x${options.durationMs / 1000}s`;
  const rows: Row[] = [
    row('CPU per ping: service', 'service', 'cpuUsPerPing', 'µs', `${setup}; floor: bare net.connect loop (blackbox_exporter: ~1000 µs)`),
    row('CPU per ping: scheduler+probe', 'scheduler', 'cpuUsPerPing', 'µs', 'no metrics, no HTTP, no status'),
    row('pings per second: service', 'service', 'pingsPerSecond', '1/s', failures),
    row('RSS under load: service', 'service', 'rssMiB', 'MiB', 'whole child process, tsx loader included'),
    row('RSS under load: scheduler+probe', 'scheduler', 'rssMiB', 'MiB'),
    row('RSS before start: service', 'service', 'idleRssMiB', 'MiB', 'modules loaded, config built, nothing started'),
    row('heap used under load: service', 'service', 'heapMiB', 'MiB'),
  ];
  return { rows, raw: { options, runs } };
}
