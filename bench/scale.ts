import { spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import { buildReference } from './reference.js';
import type { Row } from './report.js';
import { loadScript, type PhaseResult, sideBySide, windowMedian, windowRatio } from './side-by-side.js';
import { median, sleep } from './stats.js';

/**
 * (c) Cost at scale: `targets` targets at 1 ping/s each, connect mode, ICMP capture and kernel
 * timing on (as the service runs by default as root). The floor, a bare net.connect loop, and
 * tcpping (the whole service, and the scheduler and probes alone; with `ref`, also the service of
 * another revision, compiled apart) run side by side against one target server, so the shared
 * machine's noise falls on all alike; every figure is the median over windows of the ratio to the
 * floor in the same window. Then the state a target costs: heap after a full GC at `targets` and at
 * a tenth of it, per target, for the floor and the service.
 */
export interface ScaleOptions {
  readonly targets: number;
  readonly windows: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  /** A revision (`main`) to measure beside this tree. */
  readonly ref?: string;
}

const FLOOR = 'bare';

function loads(port: number, options: ScaleOptions, targets = options.targets): Record<string, LoadSpec> {
  const base = { port, targets, mode: 'connect', capture: 'on' } as const;
  const out: Record<string, LoadSpec> = { [FLOOR]: { ...base, kind: 'bare' }, service: { ...base, kind: 'service' } };
  if (targets === options.targets) out.scheduler = { ...base, kind: 'scheduler' };
  if (options.ref && targets === options.targets)
    out[`service@${options.ref}`] = { ...base, kind: 'service', tree: buildReference(options.ref) };
  return out;
}

/** Heap after a full collection, median of three reads a second apart, per load. */
async function stateBytesPerTarget(port: number, options: ScaleOptions): Promise<Record<string, number>> {
  const small = Math.max(1, Math.floor(options.targets / 10));
  const heaps: Record<string, number> = {};
  for (const targets of [small, options.targets]) {
    const specs = loads(port, options, targets);
    const children = Object.fromEntries(
      await Promise.all(
        Object.entries(specs).map(
          async ([name, spec]) =>
            [name, await spawnChild(loadScript(spec), [JSON.stringify(spec)], { execArgv: ['--expose-gc'] })] as const,
        ),
      ),
    );
    try {
      await Promise.all(Object.values(children).map((c) => c.rpc('start', undefined, 300_000)));
      await sleep(options.warmupMs);
      for (const [name, child] of Object.entries(children)) {
        const reads: number[] = [];
        for (let i = 0; i < 3; i++) {
          reads.push(await child.rpc<number>('heapAfterGc'));
          await sleep(1000);
        }
        heaps[`${name}:${targets}`] = median(reads);
      }
    } finally {
      await Promise.all(Object.values(children).map((c) => c.stop()));
    }
  }
  const perTarget = (name: string) =>
    ((heaps[`${name}:${options.targets}`] ?? Number.NaN) - (heaps[`${name}:${small}`] ?? Number.NaN)) / (options.targets - small);
  return { [FLOOR]: perTarget(FLOOR), service: perTarget('service') };
}

export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const server = await spawnChild('./child-server.ts', ['responder']);
  let result: PhaseResult;
  let bytes: Record<string, number>;
  try {
    const port = server.ready.port as number;
    result = await sideBySide(loads(port, options), options);
    for (const [name, windows] of Object.entries(result.windows)) {
      log(
        `  (c) ${name}: µs/ping by window ${windows.map((w) => w.cpuUsPerPing.toFixed(0)).join(' ')}; RSS ${windowMedian(result, name, 'rssMiB').toFixed(1)} MiB`,
      );
    }
    bytes = await stateBytesPerTarget(port, options);
  } finally {
    await server.stop();
  }
  const setup = `${options.targets} targets x 1/s, connect, capture + kernel timing on; ${options.windows} windows of ${options.windowMs / 1000} s, side by side`;
  const fig = (name: string, key: 'cpuUsPerPing' | 'rssMiB' | 'gcUsPerPing'): Pick<Row, 'ours' | 'floor' | 'ratio'> => ({
    ours: windowMedian(result, name, key),
    floor: windowMedian(result, FLOOR, key),
    ratio: windowRatio(result, name, FLOOR, key),
  });
  const failures = Object.entries(result.windows)
    .map(([name, ws]) => `${name} ${ws.reduce((sum, w) => sum + w.failures, 0)}`)
    .join(', ');
  const lag = (name: string) => result.lagUs[name]?.p99 ?? Number.NaN;
  const section = 'c scale';
  const rows: Row[] = [
    {
      section,
      name: 'CPU per ping: service',
      unit: 'µs',
      ...fig('service', 'cpuUsPerPing'),
      note: `${setup}; floor: bare net.connect loop`,
    },
    {
      section,
      name: 'CPU per ping: scheduler+probes',
      unit: 'µs',
      ...fig('scheduler', 'cpuUsPerPing'),
      note: 'no metrics, no HTTP, no status',
    },
  ];
  if (options.ref) {
    const name = `service@${options.ref}`;
    rows.push({ section, name: `CPU per ping: ${name}`, unit: 'µs', ...fig(name, 'cpuUsPerPing'), note: 'the same run, before' });
  }
  rows.push(
    { section, name: 'GC pauses per ping: service', unit: 'µs', ...fig('service', 'gcUsPerPing') },
    {
      section,
      name: 'scheduler lag p99: service',
      unit: 'µs',
      ours: lag('service'),
      floor: lag(FLOOR),
      ratio: lag('service') / lag(FLOOR),
      note: `failed pings: ${failures}`,
    },
    {
      section,
      name: 'RSS under load: service',
      unit: 'MiB',
      ...fig('service', 'rssMiB'),
      note: 'whole process, plain node on compiled JavaScript',
    },
    {
      section,
      name: 'RSS before start: service',
      unit: 'MiB',
      ours: result.idleRssMiB.service ?? Number.NaN,
      floor: result.idleRssMiB[FLOOR] ?? Number.NaN,
      ratio: (result.idleRssMiB.service ?? Number.NaN) / (result.idleRssMiB[FLOOR] ?? Number.NaN),
      note: 'modules loaded, nothing started',
    },
    {
      section,
      name: 'heap per target: service',
      unit: 'B',
      ours: bytes.service ?? Number.NaN,
      floor: bytes[FLOOR] ?? Number.NaN,
      ratio: (bytes.service ?? Number.NaN) / (bytes[FLOOR] ?? Number.NaN),
      note: `heap after full GC at ${options.targets} minus at ${Math.max(1, Math.floor(options.targets / 10))} targets, per target`,
    },
  );
  return { rows, raw: { options, windows: result.windows, lagUs: result.lagUs, idleRssMiB: result.idleRssMiB, heapBytesPerTarget: bytes } };
}
