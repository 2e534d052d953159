import { serviceNodeFlags } from '../src/cli/node-flags.js';
import { type Child, spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import { median, sleep } from './stats.js';

/**
 * Probers run side by side: every load child of a phase pings at once, against the same target
 * server, so the machine's noise (this one is shared) falls on all of them alike, and each window's
 * figures are compared with the floor's of the same window. CPU per ping is the child's own
 * (getrusage: every thread, user and system); the target server's is not counted.
 */
export interface Window {
  atMs: number;
  cpuUs: number;
  /** The main thread's alone (NaN where it cannot be read). */
  mainCpuUs: number;
  gcMs: number;
  connects: number;
  replies: number;
  failures: number;
  rss: number;
  heapUsed: number;
}

export interface WindowFigures {
  readonly cpuUsPerPing: number;
  /** Of which the main thread's (the rest: worker threads, V8's and libuv's helpers). */
  readonly mainCpuUsPerPing: number;
  /** Main-thread garbage collection pauses, per ping. */
  readonly gcUsPerPing: number;
  readonly pingsPerSecond: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly failures: number;
}

export interface PhaseResult {
  /** Per load (by name), per window. */
  readonly windows: Record<string, WindowFigures[]>;
  /** Scheduler lag over the whole measured part, per load: p50, p99, max (µs). */
  readonly lagUs: Record<string, { p50: number; p99: number; maxUs: number; n: number }>;
  readonly idleRssMiB: Record<string, number>;
}

const MiB = 1024 * 1024;

export interface PhaseOptions {
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly windows: number;
  /** Node flags per load (by name). */
  readonly execArgv?: Record<string, readonly string[]>;
  /** Called with each load's child once it is started, before the warm-up (e.g. to start perf). */
  readonly onStarted?: (loads: Record<string, Child>) => void | Promise<void>;
}

/**
 * Node.js flags of a load child: the service runs with those it is shipped with (src/cli/node-flags.ts).
 * Here, not in load-spec.ts: a load child of a reference revision (bench/reference.ts) imports that
 * file, and an older tree has no node-flags.ts.
 */
export function loadNodeFlags(spec: Pick<LoadSpec, 'kind'>): readonly string[] {
  return spec.kind === 'service' ? serviceNodeFlags : [];
}

export function loadScript(spec: Pick<LoadSpec, 'kind'>): string {
  return spec.kind === 'bare' ? './child-bare.ts' : './child-load.ts';
}

/** Starts every load at once, warms up, then reads all of them at each window boundary. */
export async function sideBySide(loads: Record<string, LoadSpec>, options: PhaseOptions): Promise<PhaseResult> {
  const children: Record<string, Child> = {};
  try {
    for (const [name, spec] of Object.entries(loads)) {
      children[name] = await spawnChild(loadScript(spec), [JSON.stringify(spec)], {
        execArgv: [...loadNodeFlags(spec), ...(options.execArgv?.[name] ?? [])],
        ...(spec.tree ? { tree: spec.tree } : {}),
      });
    }
    const idleRssMiB = Object.fromEntries(Object.entries(children).map(([name, c]) => [name, (c.ready.rssBytes as number) / MiB]));
    await Promise.all(Object.values(children).map((c) => c.rpc('start', undefined, 300_000)));
    await options.onStarted?.(children);
    await sleep(options.warmupMs);
    const read = () => Promise.all(Object.entries(children).map(async ([name, c]) => [name, await c.rpc<Window>('window')] as const));
    await Promise.all(Object.values(children).map((c) => c.rpc('lags')));
    const snapshots = [await read()];
    for (let i = 0; i < options.windows; i++) {
      await sleep(options.windowMs);
      snapshots.push(await read());
    }
    const lagUs = Object.fromEntries(
      await Promise.all(
        Object.entries(children).map(async ([name, c]) => [
          name,
          await c.rpc<{ p50: number; p99: number; maxUs: number; n: number }>('lags'),
        ]),
      ),
    );
    const windows: Record<string, WindowFigures[]> = {};
    for (const name of Object.keys(children)) {
      const series = snapshots.map((s) => (s.find(([n]) => n === name) as readonly [string, Window])[1]);
      windows[name] = series.slice(1).map((w, i) => {
        const prev = series[i] as Window;
        const pings = w.connects - prev.connects;
        return {
          cpuUsPerPing: (w.cpuUs - prev.cpuUs) / Math.max(1, pings),
          mainCpuUsPerPing: (w.mainCpuUs - prev.mainCpuUs) / Math.max(1, pings),
          gcUsPerPing: ((w.gcMs - prev.gcMs) * 1000) / Math.max(1, pings),
          pingsPerSecond: (pings * 1000) / (w.atMs - prev.atMs),
          rssMiB: w.rss / MiB,
          heapMiB: w.heapUsed / MiB,
          failures: w.failures - prev.failures,
        };
      });
    }
    return { windows, lagUs, idleRssMiB };
  } finally {
    await Promise.all(Object.values(children).map((c) => c.stop()));
  }
}

/** The median over windows of a figure of one load. */
export function windowMedian(result: PhaseResult, name: string, key: keyof WindowFigures): number {
  return median((result.windows[name] ?? []).map((w) => w[key]));
}

/** The median over windows of the ratio of a load's figure to another's in the same window. */
export function windowRatio(result: PhaseResult, name: string, floor: string, key: keyof WindowFigures): number {
  const ours = result.windows[name] ?? [];
  const base = result.windows[floor] ?? [];
  return median(ours.map((w, i) => w[key] / (base[i]?.[key] ?? Number.NaN)));
}
