import { spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import { buildReference } from './reference.js';
import type { Row } from './report.js';
import { loadNodeFlags, loadScript, sideBySide, type WindowFigures } from './side-by-side.js';
import { median, rotated, sleep } from './stats.js';

/**
 * (c) Cost at scale: `targets` targets at 1 ping/s each, connect mode, ICMP capture and kernel
 * timing on (as the service runs by default as root). Each contender (the whole service, the
 * scheduler and probes alone, and with `ref` the service of another revision compiled apart) runs
 * in phases side by side with the floor, a bare net.connect loop, against one target server: the
 * shared machine's noise falls on both alike, and every figure is the median over windows (of all
 * passes) of the ratio to the floor in the same window. Two loads at a time, not all: more
 * saturated this 2-core machine and the target server's accept queue (pings lost to SYN drops).
 * Then the state a target costs: heap after a full GC at `targets` and at a tenth of that.
 */
export interface ScaleOptions {
  readonly targets: number;
  readonly windows: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly passes: number;
  /** A revision (`main`) to measure beside this tree. */
  readonly ref?: string;
}

const FLOOR = 'bare';

interface Figures {
  /** Per window, across passes: the contender's, the floor's beside it. */
  readonly ours: WindowFigures[];
  readonly floor: WindowFigures[];
  readonly lagP99Us: number[];
  readonly floorLagP99Us: number[];
  readonly idleRssMiB: number[];
  readonly floorIdleRssMiB: number[];
}

function contenders(port: number, options: ScaleOptions, targets = options.targets): Record<string, LoadSpec> {
  const base = { port, targets, mode: 'connect', capture: 'on' } as const;
  const out: Record<string, LoadSpec> = { service: { ...base, kind: 'service' }, scheduler: { ...base, kind: 'scheduler' } };
  if (options.ref) out[`service@${options.ref}`] = { ...base, kind: 'service', tree: buildReference(options.ref) };
  return out;
}

async function cpuPhases(port: number, options: ScaleOptions, log: (line: string) => void): Promise<Record<string, Figures>> {
  const specs = contenders(port, options);
  const floor: LoadSpec = { port, targets: options.targets, mode: 'connect', capture: 'on', kind: 'bare' };
  const out: Record<string, Figures> = {};
  for (let pass = 0; pass < options.passes; pass++) {
    for (const name of rotated(Object.keys(specs), pass)) {
      const r = await sideBySide({ [FLOOR]: floor, [name]: specs[name] as LoadSpec }, options);
      out[name] ??= { ours: [], floor: [], lagP99Us: [], floorLagP99Us: [], idleRssMiB: [], floorIdleRssMiB: [] };
      const f = out[name];
      f.ours.push(...(r.windows[name] ?? []));
      f.floor.push(...(r.windows[FLOOR] ?? []));
      f.lagP99Us.push(r.lagUs[name]?.p99 ?? Number.NaN);
      f.floorLagP99Us.push(r.lagUs[FLOOR]?.p99 ?? Number.NaN);
      f.idleRssMiB.push(r.idleRssMiB[name] ?? Number.NaN);
      f.floorIdleRssMiB.push(r.idleRssMiB[FLOOR] ?? Number.NaN);
      const cpu = (ws: WindowFigures[] | undefined) => (ws ?? []).map((w) => w.cpuUsPerPing.toFixed(0)).join(' ');
      log(`  (c) pass ${pass + 1} ${name}: µs/ping by window ${cpu(r.windows[name])}; beside it the floor ${cpu(r.windows[FLOOR])}`);
    }
  }
  return out;
}

/** Heap after a full collection (median of three reads a second apart), per target, for the floor and the service. */
async function heapBytesPerTarget(port: number, options: ScaleOptions): Promise<Record<string, number>> {
  const small = Math.max(1, Math.floor(options.targets / 10));
  const heaps: Record<string, number> = {};
  for (const targets of [small, options.targets]) {
    const specs: Record<string, LoadSpec> = {
      [FLOOR]: { port, targets, mode: 'connect', capture: 'on', kind: 'bare' },
      service: { port, targets, mode: 'connect', capture: 'on', kind: 'service' },
    };
    const children = await Promise.all(
      Object.entries(specs).map(
        async ([name, spec]) =>
          [
            name,
            await spawnChild(loadScript(spec), [JSON.stringify(spec)], { execArgv: [...loadNodeFlags(spec), '--expose-gc'] }),
          ] as const,
      ),
    );
    try {
      await Promise.all(children.map(([, c]) => c.rpc('start', undefined, 300_000)));
      await sleep(options.warmupMs);
      for (const [name, child] of children) {
        const reads: number[] = [];
        for (let i = 0; i < 3; i++) {
          reads.push(await child.rpc<number>('heapAfterGc'));
          await sleep(1000);
        }
        heaps[`${name}:${targets}`] = median(reads);
      }
    } finally {
      await Promise.all(children.map(([, c]) => c.stop()));
    }
  }
  const perTarget = (name: string) =>
    ((heaps[`${name}:${options.targets}`] ?? Number.NaN) - (heaps[`${name}:${small}`] ?? Number.NaN)) / (options.targets - small);
  return { [FLOOR]: perTarget(FLOOR), service: perTarget('service') };
}

export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const server = await spawnChild('./child-server.ts', ['responder']);
  let figures: Record<string, Figures>;
  let bytes: Record<string, number>;
  try {
    const port = server.ready.port as number;
    figures = await cpuPhases(port, options, log);
    bytes = await heapBytesPerTarget(port, options);
  } finally {
    await server.stop();
  }
  const section = 'c scale';
  const pair = (ours: number[], floor: number[]) => ({
    ours: median(ours),
    floor: median(floor),
    ratio: median(ours.map((v, i) => v / (floor[i] as number))),
  });
  const windowed = (name: string, key: keyof WindowFigures) => {
    const f = figures[name] as Figures;
    return pair(
      f.ours.map((w) => w[key]),
      f.floor.map((w) => w[key]),
    );
  };
  const failed = (ws: WindowFigures[]) => ws.reduce((sum, w) => sum + w.failures, 0);
  const failures = Object.entries(figures)
    .map(([name, f]) => `${name} ${failed(f.ours)} (floor beside it ${failed(f.floor)})`)
    .join(', ');
  const setup = `${options.targets} targets x 1/s, connect, capture + kernel timing on; ${options.passes} x ${options.windows} windows of ${options.windowMs / 1000} s beside the floor`;
  const rows: Row[] = [
    {
      section,
      name: 'CPU per ping: service',
      unit: 'µs',
      ...windowed('service', 'cpuUsPerPing'),
      note: `${setup}; floor: bare net.connect loop`,
    },
    {
      section,
      name: 'CPU per ping: scheduler+probes',
      unit: 'µs',
      ...windowed('scheduler', 'cpuUsPerPing'),
      note: 'no metrics, no HTTP, no status',
    },
  ];
  if (options.ref) {
    const name = `service@${options.ref}`;
    rows.push({
      section,
      name: `CPU per ping: ${name}`,
      unit: 'µs',
      ...windowed(name, 'cpuUsPerPing'),
      note: 'before: the same run, beside its own floor',
    });
  }
  const service = figures.service as Figures;
  rows.push(
    {
      section,
      name: 'scheduler lag p99: service',
      unit: 'µs',
      ...pair(service.lagP99Us, service.floorLagP99Us),
      note: `failed pings: ${failures}`,
    },
    {
      section,
      name: 'RSS under load: service',
      unit: 'MiB',
      ...windowed('service', 'rssMiB'),
      note: 'whole process, plain node on compiled JavaScript',
    },
    {
      section,
      name: 'RSS before start: service',
      unit: 'MiB',
      ...pair(service.idleRssMiB, service.floorIdleRssMiB),
      note: 'modules loaded, nothing started',
    },
    {
      section,
      name: 'heap per target: service',
      unit: 'B',
      ours: bytes.service ?? Number.NaN,
      floor: bytes[FLOOR] ?? Number.NaN,
      ratio: (bytes.service ?? Number.NaN) / (bytes[FLOOR] ?? Number.NaN),
      note: `heap after a full GC at ${options.targets} minus at ${Math.max(1, Math.floor(options.targets / 10))} targets, per target`,
    },
  );
  return { rows, raw: { options, figures, heapBytesPerTarget: bytes } };
}
