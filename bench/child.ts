import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spread } from './stats.js';

/**
 * Benchmark parts that must not share a process with what measures them (a server whose CPU we
 * read, a load generator whose RSS we read) run as child processes driven over IPC. Children are
 * stopped by their own pid, and exit by themselves if the parent goes away.
 */
type Message = { id?: number; type?: string; result?: unknown; error?: string } & Record<string, unknown>;

export interface Child {
  readonly pid: number;
  /** The child's first message ({type: 'ready', ...}). */
  readonly ready: Message;
  rpc<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('..', import.meta.url));
let compiled = false;

/**
 * Children run as a user runs tcpping: plain node on JavaScript compiled once per run (about 1 s),
 * not under tsx, whose loader thread alone adds about 40 MiB of RSS and CPU of its own to every
 * process it runs.
 */
export function compileBench(): void {
  if (compiled) return;
  execFileSync(`${root}node_modules/.bin/tsc`, ['-p', `${root}tsconfig.bench.json`], { stdio: 'inherit' });
  // src/util/version.ts reads ../../package.json, as it does from dist/.
  copyFileSync(`${root}package.json`, `${root}bench/.out/package.json`);
  compiled = true;
}

/** The compiled JavaScript of a bench script (`./child-load.ts` → bench/.out/bench/child-load.js), here or in another tree. */
export function compiledPath(script: string, tree?: string): string {
  if (tree === undefined) compileBench();
  return `${tree ?? root}bench/.out/bench/${script.replace(/^\.\//, '').replace(/\.ts$/, '.js')}`;
}

/** The compiled command-line entry point (bench/.out/src/cli/bin.js): `tcpping serve` as a user runs it, without tsx. */
export function compiledCli(): string {
  compileBench();
  return `${root}bench/.out/src/cli/bin.js`;
}

export interface SpawnOptions {
  readonly readyTimeoutMs?: number;
  /** Node flags for the child (--cpu-prof, --perf-basic-prof, ...). */
  readonly execArgv?: readonly string[];
  /** The root of another compiled tree (bench/reference.ts) to run the script from. */
  readonly tree?: string;
}

export async function spawnChild(script: string, args: readonly string[], options: SpawnOptions = {}): Promise<Child> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const path = compiledPath(script, options.tree);
  const proc: ChildProcess = fork(path, [...args], {
    execArgv: [...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = await new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    proc.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Message);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before ready`)));
  }).catch((error) => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
    throw error;
  });
  let nextId = 1;
  const rpc = <T>(cmd: string, cmdArgs?: unknown, timeoutMs = 60_000): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (m: Message) => {
        if (m.id !== id) return;
        cleanup();
        if (m.error) reject(new Error(`${script} ${cmd}: ${m.error}`));
        else resolve(m.result as T);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${script} ${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        proc.off('message', onMessage);
      };
      proc.on('message', onMessage);
      proc.send({ id, cmd, args: cmdArgs });
    });
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.disconnect();
    const killer = setTimeout(() => process.kill(pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return { pid, ready, rpc, stop };
}

/** Child side: answers the parent's commands; exits when the parent disconnects. */
export function serveCommands(
  ready: Record<string, unknown>,
  handlers: Record<string, (args: unknown) => unknown>,
  onExit?: () => Promise<void>,
): void {
  const send = (m: unknown) => process.send?.(m);
  process.on('message', async (m: { id: number; cmd: string; args: unknown }) => {
    const handler = handlers[m.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${m.cmd}`);
      send({ id: m.id, result: await handler(m.args) });
    } catch (error) {
      send({ id: m.id, error: (error as Error).message });
    }
  });
  process.once('disconnect', async () => {
    await onExit?.();
    process.exit(0);
  });
  send({ type: 'ready', ...ready });
}

export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * CPU of the main thread alone (Linux: its /proc task's utime + stime, 10 ms ticks), beside the
 * whole process's: with the pings on worker threads, what the main thread still does per ping.
 */
export function mainThreadCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/** A CPU profile of a window of the child's life (node:inspector), written where the parent says. */
export function profileCommands(): Record<string, (args: unknown) => unknown> {
  let session: import('node:inspector').Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session?.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
    );
  /** Ends the profile with `method` and writes it to `file`. */
  const stopInto = async (method: string, file: string) => {
    const { profile } = (await post(method)) as { profile: unknown };
    session?.disconnect();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(profile));
    return file;
  };
  return {
    profileStart: async () => {
      const { Session } = await import('node:inspector');
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
      return null;
    },
    /** Sampling of every allocation (kept or collected since), by the stack that made it; or of what was promoted. */
    allocStart: async (args) => {
      const { Session } = await import('node:inspector');
      session = new Session();
      session.connect();
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        // 'promoted': only what outlived the young generation (what fills the old one, kept or not).
        includeObjectsCollectedByMinorGC: args !== 'promoted',
      });
      return null;
    },
    allocStop: (args) => stopInto('HeapProfiler.stopSampling', args as string),
    profileStop: (args) => stopInto('Profiler.stop', args as string),
  };
}

let gcMs = 0;
let gcObserved = false;

/** Milliseconds the main thread spent in garbage collection pauses since the child started (perf_hooks 'gc'). */
export async function gcPauseMs(): Promise<number> {
  if (!gcObserved) {
    gcObserved = true;
    const { PerformanceObserver } = await import('node:perf_hooks');
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    }).observe({ entryTypes: ['gc'] });
  }
  return gcMs;
}

/** At most this many lag samples are kept between two `lags` calls. */
const MAX_LAG_SAMPLES = 2_000_000;

/**
 * What every load child answers (bench/side-by-side.ts): CPU, pings and memory at a window
 * boundary, the heap after a full collection (with --expose-gc), and the scheduler lag since the
 * last call. `lagUs` takes one lag sample.
 */
export function loadCommands(counts: { readonly connects: number; readonly replies: number; readonly failures: number }): {
  lagUs: (us: number) => void;
  commands: Record<string, (args: unknown) => unknown>;
} {
  let lags: number[] = [];
  return {
    lagUs: (us) => {
      if (lags.length < MAX_LAG_SAMPLES) lags.push(us);
    },
    commands: {
      window: async () => ({
        atMs: performance.now(),
        cpuUs: cpuMicros(),
        mainCpuUs: mainThreadCpuMicros(),
        gcMs: await gcPauseMs(),
        ...counts,
        ...process.memoryUsage(),
      }),
      heapAfterGc: () => {
        globalThis.gc?.();
        return process.memoryUsage().heapUsed;
      },
      /** Where the memory is: RSS and V8's heap spaces (used and committed, bytes), optionally after a full GC. */
      memory: async (args) => {
        if (args === 'gc') globalThis.gc?.();
        const { getHeapSpaceStatistics } = await import('node:v8');
        const spaces = Object.fromEntries(
          getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, committed: s.physical_space_size }]),
        );
        return { ...process.memoryUsage(), spaces };
      },
      /** A heap snapshot written to `file` (v8.writeHeapSnapshot), for what a target's state is made of. */
      heapSnapshot: async (args) => {
        const { writeHeapSnapshot } = await import('node:v8');
        return writeHeapSnapshot(args as string);
      },
      /** p50, p99 and max in µs. */
      lags: () => {
        const taken = lags;
        lags = [];
        return { ...spread(taken), maxUs: taken.reduce((a, b) => Math.max(a, b), 0) };
      },
    },
  };
}
