import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../src/config/load.js';
import { Service } from '../src/service.js';
import { HOST } from './bare.js';
import { serveCommands } from './child.js';
import { minorFaults } from './faults.js';
import { lagSummary, largest, percentile, RELOAD_WINDOW_MS } from './stats.js';

/**
 * Child: the Service from a config file of N targets (one ping each every intervalMs, echo mode,
 * against the responder child at `port`), reloaded on command after the file is rewritten. While
 * a reload runs, a setImmediate ticker records every gap between its turns: the longest is the
 * longest a ping's socket callback could have waited. The same ticker over a quiet stretch of the
 * same length is the floor. Each ping's own lag (its start against its planned time, on the thread
 * that sends it: the main one, or a worker's) is recorded over the same stretches.
 */
const [portText = '', targetsText = '', intervalText = '10000', workersText = '0'] = process.argv.slice(2);
const targets = Number(targetsText);
const dir = mkdtempSync(join(tmpdir(), 'tcpping-bench-reload-'));
const file = join(dir, 'config.json');

/** After the file is written, before the reload. */
const SETTLE_MS = 200;

/** Every variant names the same N targets unless it says otherwise. */
type Variant = { labels?: string; prefix?: string; extra?: number };
function writeConfig(v: Variant): void {
  const doc = {
    log: { level: 'silent' },
    responder: { enabled: false },
    web: { listenAddress: `${HOST}:0` },
    icmp: { capture: 'off' },
    scheduler: { workers: Number(workersText) },
    defaults: { mode: 'echo', count: 1, intervalMs: Number(intervalText), timeoutMs: 1000 },
    targets: Array.from({ length: targets + (v.extra ?? 0) }, (_, i) => ({
      name: `${v.prefix ?? 'target'}-${i}`,
      address: `${HOST}:${portText}`,
      ...(v.labels ? { labels: { generation: v.labels } } : {}),
    })),
  };
  writeFileSync(file, JSON.stringify(doc));
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * With the pings on workers, the main thread's turns are watched by a 1 ms timer: a ticker that
 * turns the loop without pause keeps a core busy, one of the 2 the workers ping on.
 */
const spin = Number(workersText) === 0;

/**
 * The ticker's records, made once: a spinning ticker turns the loop about 10^5 times a second, and
 * arrays grown by each turn would be garbage of the benchmark's own, collected beside the pings
 * it measures (the bare loop it is compared with has no ticker).
 */
const TICKS_ROOM = 1 << 20;
const gapsRoom = new Float64Array(TICKS_ROOM);
const cpuGapsRoom = new Float64Array(TICKS_ROOM);

/**
 * Gaps between turns of the event loop while `work` runs, in ms of wall time and of the process's
 * CPU time: on a shared machine the wall gap also holds the time the OS gave other processes, the
 * CPU gap only the work the loop did before it could turn (on one thread, the main thread does
 * nearly all of it; with workers, process CPU is theirs too, and a gap is at least the timer's 1 ms).
 */
async function gapsDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; gapsMs: number[]; cpuGapsMs: number[]; wallMs: number; pingLagsMs: number[]; pageFaults: number }> {
  pingLagsMs = [];
  const faultsBefore = minorFaults();
  let ticks = 0;
  let last = performance.now();
  let lastCpu = cpuMs();
  let running = true;
  const tick = () => {
    const now = performance.now();
    const cpu = cpuMs();
    if (ticks === TICKS_ROOM) throw new Error(`more than ${TICKS_ROOM} turns of the loop in one stretch`);
    gapsRoom[ticks] = now - last;
    cpuGapsRoom[ticks] = cpu - lastCpu;
    ticks++;
    last = now;
    lastCpu = cpu;
    if (running) next();
  };
  const next = () => (spin ? setImmediate(tick) : setTimeout(tick, 1));
  next();
  const t0 = performance.now();
  const result = await work();
  const wallMs = performance.now() - t0;
  // Workers report their pings in batches, up to 10 ms late: the ones sent during the work come in
  // after it. The ticker goes on over that stretch too, so the loop's holds cover the pings' window
  // (what the work left to do after it, a collection of its garbage, is the work's): at least
  // 100 ms, and up to RELOAD_WINDOW_MS from the start, as the bare loop's.
  await new Promise((resolve) => setTimeout(resolve, Math.max(100, RELOAD_WINDOW_MS - wallMs)));
  running = false;
  const pageFaults = minorFaults() - faultsBefore;
  const lags = pingLagsMs;
  pingLagsMs = undefined;
  const gapsMs = Array.from(gapsRoom.subarray(0, ticks));
  const cpuGapsMs = Array.from(cpuGapsRoom.subarray(0, ticks));
  return { result, gapsMs, cpuGapsMs, wallMs, pingLagsMs: lags ?? [], pageFaults };
}

/** Pings' lags (ms) recorded while a stretch runs; undefined between stretches. */
let pingLagsMs: number[] | undefined;

const summary = (r: { gapsMs: number[]; cpuGapsMs: number[]; wallMs: number; pingLagsMs: number[]; pageFaults: number }) => ({
  ...lagSummary(r.pingLagsMs),
  pageFaults: r.pageFaults,
  wallMs: r.wallMs,
  maxGapMs: largest(r.gapsMs),
  p99GapMs: percentile(r.gapsMs, 99),
  maxCpuGapMs: largest(r.cpuGapsMs),
  p99CpuGapMs: percentile(r.cpuGapsMs, 99),
  turns: r.gapsMs.length,
});

writeConfig({});
let service: Service | undefined;
serveCommands(
  {},
  {
    start: async () => {
      service = await Service.start(loadConfigFile(file, {}), {
        observer: { pingStarted: (_target, lag) => pingLagsMs?.push(lag * 1000) },
      });
      return service.httpAddress?.port;
    },
    /**
     * No reload: the pings' lags over `ms`, how late the loop's own collections make them anyway
     * (no ticker: turning the loop for seconds would be a load of its own).
     */
    quiet: async (args) => {
      pingLagsMs = [];
      const faultsBefore = minorFaults();
      await new Promise((resolve) => setTimeout(resolve, (args as { ms: number }).ms));
      const lags = pingLagsMs;
      pingLagsMs = undefined;
      return { ...lagSummary(lags), pageFaults: minorFaults() - faultsBefore };
    },
    /** Rewrites the file as `variant` and reloads; the quiet floor is taken over as long a window right after. */
    reload: async (args) => {
      const svc = service as Service;
      // Writing the file here holds this thread (10–18 ms for 10,000 targets): the pings it held
      // up start late right after, and are the bench's, not the reload's. Measured from later.
      writeConfig(args as Variant);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const r = await gapsDuring(() => svc.reload('bench'));
      if (!r.result.ok) throw new Error(`reload failed: ${r.result.problems.join('; ')}`);
      const { added, removed, changed } = r.result.diff;
      const quiet = await gapsDuring(() => new Promise((resolve) => setTimeout(resolve, Math.max(50, r.wallMs))));
      return {
        reload: summary(r),
        quiet: summary(quiet),
        diff: { added: added.length, removed: removed.length, changed: changed.length },
      };
    },
  },
  async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  },
);
