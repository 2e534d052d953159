import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild } from './child.js';
import type { LoadSpec } from './load-spec.js';
import { buildReference } from './reference.js';
import { loadNodeFlags, loadScript, sideBySide, windowMedian, windowRatio } from './side-by-side.js';
import { sleep } from './stats.js';

/**
 * Where a ping's CPU goes: `npm run bench -- --profile [--kind service|scheduler|bare]
 * [--mode connect|echo] [--targets N] [--seconds S] [--capture on|off] [--ref REV] [--perf]`.
 * `--alloc` samples allocations per ping by the code that made them; `--alloc --promoted` only
 * those that outlived the young generation (what fills the old one and costs RSS).
 * Runs one load child (of this tree, or of revision REV: bench/reference.ts) against the responder child, warms up, then profiles a window of S seconds:
 * the V8 CPU profile (node:inspector), summed by function and by where the code lives; with
 * --perf, Linux perf (software clock, call graphs, --perf-basic-prof for JavaScript names) for the
 * native side, by shared object and by symbol. Figures are µs of CPU per ping.
 * `--compare bare,service,service:off,...` runs the kinds side by side instead (KIND[:capture[:userland]],
 * `+--node-flag` after one for that child alone), CPU per ping per window as a ratio to the first.
 * The bench tree is compiled afresh at every run: variants go in the source, not in bench/.out.
 */
type Args = Record<string, string | true>;

function parse(argv: readonly string[]): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else {
      out[a.slice(2)] = next;
      i++;
    }
  }
  return out;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: tcpping's code, node's own JavaScript, a dependency, or V8's pseudo-frames. */
function place(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.includes('/node_modules/')) return `dep ${url.split('/node_modules/')[1]?.split('/')[0]}`;
  if (url.includes('/src/')) return `tcpping ${url.split('/src/')[1]?.split('/')[0]}/`;
  if (url.startsWith('node:')) return 'node:*';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
}

function summarize(file: string, pings: number, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    const where = place(url, functionName);
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
  }
  const print = (title: string, map: Map<string, number>, n: number) => {
    console.log(`\n${title} (µs per ping, ${pings} pings)`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${(us / pings).toFixed(2).padStart(8)}  ${key}`);
  };
  const idle = byPlace.get('(idle)') ?? 0;
  const busy = [...byPlace.values()].reduce((a, b) => a + b, 0) - idle;
  console.log(`\nsampled on the JavaScript thread: ${(busy / pings).toFixed(1)} µs per ping busy (idle left out)`);
  print('by place', byPlace, 30);
  print('by function (self time)', byFunction, top);
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated per ping, by the function that allocated them (sampled, collected objects included). */
function allocations(file: string, pings: number, top: number): void {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, parent: string) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const here =
      url === ''
        ? `${functionName || '(native)'} < ${parent}`
        : `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    if (n.selfSize > 0) byFunction.set(here, (byFunction.get(here) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c, url === '' ? parent : here);
  };
  walk(head, '(root)');
  console.log(`\nallocated: ${(total / pings).toFixed(0)} bytes per ping (${pings} pings)`);
  for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(bytes / pings).toFixed(0).padStart(8)}  ${key}`);
  }
}

function perfSummary(data: string, pings: number): void {
  const report = (sort: string, limit: number) =>
    execFileSync(
      'perf',
      ['report', '-i', data, '--stdio', '--no-children', '-g', 'none', '--sort', sort, '--percent-limit', String(limit)],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#') && !/^\s+\|/.test(l) && !/^\s+---/.test(l) && !/^\s*$/.test(l))
      .slice(0, 40)
      .join('\n');
  console.log(`\nperf: by shared object (share of the process's samples; ${pings} pings)\n${report('dso', 0.5)}`);
  console.log(`\nperf: by symbol\n${report('dso,sym', 0.7)}`);
}

/** CPU time of each thread of a process, by thread name, in µs (utime + stime from /proc, 10 ms ticks). */
export function threadCpu(pid: number): Map<string, { userUs: number; systemUs: number }> {
  const out = new Map<string, { userUs: number; systemUs: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '#');
    const name = tid === String(pid) ? `${comm} (main thread)` : comm;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const entry = out.get(name) ?? { userUs: 0, systemUs: 0 };
    entry.userUs += Number(fields[11]) * 10_000;
    entry.systemUs += Number(fields[12]) * 10_000;
    out.set(name, entry);
  }
  return out;
}

function printThreads(before: ReturnType<typeof threadCpu>, after: ReturnType<typeof threadCpu>, pings: number): void {
  console.log(`\nCPU by thread (µs per ping: user + system)`);
  for (const [name, a] of after) {
    const b = before.get(name) ?? { userUs: 0, systemUs: 0 };
    const user = (a.userUs - b.userUs) / pings;
    const system = (a.systemUs - b.systemUs) / pings;
    if (user + system > 0)
      console.log(`${(user + system).toFixed(1).padStart(8)}  ${name} (user ${user.toFixed(1)}, system ${system.toFixed(1)})`);
  }
}

const args = parse(process.argv.slice(2));
const seconds = Number(args.seconds ?? 20);
const spec: LoadSpec = {
  kind: (args.kind as LoadSpec['kind']) ?? 'service',
  port: 0,
  targets: Number(args.targets ?? 1000),
  mode: (args.mode as LoadSpec['mode']) ?? 'connect',
  capture: (args.capture as LoadSpec['capture']) ?? 'on',
  ...(typeof args.ref === 'string' ? { tree: buildReference(args.ref) } : {}),
};
if (typeof args.compare === 'string') {
  // Side by side: each named kind at once against one server; CPU per ping per window, and its ratio to the first.
  const server = await spawnChild('./child-server.ts', ['responder']);
  try {
    const kinds = args.compare.split(',');
    const loads = Object.fromEntries(
      kinds.map((k) => {
        const [kind, capture, kernel] = (k.split('+')[0] as string).split(':') as [
          LoadSpec['kind'],
          LoadSpec['capture'] | undefined,
          string | undefined,
        ];
        return [k, { ...spec, kind, capture: capture ?? spec.capture, port: server.ready.port as number, kernel: kernel !== 'userland' }];
      }),
    );
    // `kind+--flag+--flag`: node flags for that child alone.
    const execArgv = Object.fromEntries(kinds.map((k) => [k, k.split('+').slice(1)]));
    const result = await sideBySide(loads, { execArgv, warmupMs: Number(args.warmup ?? 5) * 1000, windowMs: 2000, windows: seconds / 2 });
    const floor = kinds[0] as string;
    for (const k of kinds) {
      const cpu = (result.windows[k] ?? []).map((w) => w.cpuUsPerPing.toFixed(0)).join(' ');
      console.log(
        `${k.padEnd(20)} ${windowMedian(result, k, 'cpuUsPerPing').toFixed(1)} µs/ping (${windowRatio(result, k, floor, 'cpuUsPerPing').toFixed(2)}x), GC ${windowMedian(result, k, 'gcUsPerPing').toFixed(1)} µs/ping, RSS ${windowMedian(result, k, 'rssMiB').toFixed(1)} MiB; windows: ${cpu}`,
      );
    }
  } finally {
    await server.stop();
  }
  process.exit(0);
}
const dir = join(process.cwd(), 'bench', 'results', 'profiles');
mkdirSync(dir, { recursive: true });
const server = await spawnChild('./child-server.ts', ['responder']);
const load = await spawnChild(loadScript(spec), [JSON.stringify({ ...spec, port: server.ready.port })], {
  execArgv: [
    ...loadNodeFlags(spec),
    ...(args.perf ? ['--perf-basic-prof-only-functions'] : []),
    ...(args['trace-gc'] ? ['--trace-gc'] : []),
  ],
  ...(spec.tree ? { tree: spec.tree } : {}),
});
try {
  await load.rpc('start');
  await sleep(Number(args.warmup ?? 5) * 1000);
  const stamp = `${spec.kind}-${spec.mode}-${spec.targets}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const t0 = threadCpu(load.pid);
  const w0 = await load.rpc<{ connects: number; cpuUs: number }>('window');
  let pings: number;
  if (args['cpu-only']) {
    await sleep(seconds * 1000);
    const w1 = await load.rpc<{ connects: number; cpuUs: number }>('window');
    pings = w1.connects - w0.connects;
    console.log(
      `${spec.kind} ${spec.mode} ${spec.targets} targets capture ${spec.capture}: ${((w1.cpuUs - w0.cpuUs) / pings).toFixed(1)} µs CPU per ping`,
    );
    printThreads(t0, threadCpu(load.pid), pings);
  } else if (args.strace) {
    // System calls per ping (strace -c: counts are exact, its times are inflated by tracing).
    const out = join(dir, `${stamp}.strace`);
    const trace = spawn('strace', ['-c', '-f', '-o', out, '-p', String(load.pid)], { stdio: 'ignore' });
    await sleep(seconds * 1000);
    const w1 = await load.rpc<{ connects: number; cpuUs: number }>('window');
    trace.kill('SIGINT');
    await new Promise((resolve) => trace.once('exit', resolve));
    pings = w1.connects - w0.connects;
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /^\s*[0-9.]+\s+[0-9.]+\s+[0-9]+\s+[0-9]+/.test(l));
    console.log(`system calls per ping (${pings} pings):`);
    for (const l of lines) {
      const f = l.trim().split(/\s+/);
      const calls = Number(f[3]);
      console.log(`${(calls / pings).toFixed(2).padStart(8)}  ${f.at(-1)}`);
    }
  } else if (args.alloc) {
    const file = join(dir, `${stamp}.heapprofile`);
    await load.rpc('allocStart', args.promoted ? 'promoted' : undefined);
    await sleep(seconds * 1000);
    await load.rpc('allocStop', file);
    const w1 = await load.rpc<{ connects: number; cpuUs: number }>('window');
    pings = w1.connects - w0.connects;
    allocations(file, pings, Number(args.top ?? 40));
  } else if (args.perf) {
    const data = join(dir, `${stamp}.perf.data`);
    const perf = spawn(
      'perf',
      ['record', '-e', 'cpu-clock', '-F', '2000', '-g', '-o', data, '-p', String(load.pid), '--', 'sleep', String(seconds)],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((resolve) => perf.once('exit', resolve));
    const w1 = await load.rpc<{ connects: number; cpuUs: number }>('window');
    pings = w1.connects - w0.connects;
    console.log(
      `${spec.kind} ${spec.mode} ${spec.targets} targets: ${((w1.cpuUs - w0.cpuUs) / pings).toFixed(1)} µs CPU per ping (getrusage)`,
    );
    printThreads(t0, threadCpu(load.pid), pings);
    perfSummary(data, pings);
  } else {
    const file = join(dir, `${stamp}.cpuprofile`);
    await load.rpc('profileStart');
    await sleep(seconds * 1000);
    await load.rpc('profileStop', file);
    const w1 = await load.rpc<{ connects: number; cpuUs: number }>('window');
    pings = w1.connects - w0.connects;
    console.log(
      `${spec.kind} ${spec.mode} ${spec.targets} targets: ${((w1.cpuUs - w0.cpuUs) / pings).toFixed(1)} µs CPU per ping (getrusage, profiler on)`,
    );
    printThreads(t0, threadCpu(load.pid), pings);
    summarize(file, pings, Number(args.top ?? 40));
    console.log(`\nprofile: ${file} (open in Chrome DevTools)`);
  }
} finally {
  await load.stop();
  await server.stop();
}
