import { bareConnect, bareNewPing } from './bare.js';
import { cpuMicros, gcPauseMs, profileCommands, serveCommands } from './child.js';
import { type LoadSpec, targetHost } from './load-spec.js';
import { spread } from './stats.js';

/**
 * Child: the floor. A setTimeout chain per target calling the bare ping (net.connect, write, read,
 * RST; or the handshake alone in connect mode), nothing of tcpping loaded, so its CPU and RSS are
 * what plain node:net costs for the same pings.
 */
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const intervalMs = spec.intervalMs ?? 1000;
const counts = { connects: 0, replies: 0, failures: 0 };
const MAX_SAMPLES = 2_000_000;
let lags: number[] = [];
const timers = new Set<NodeJS.Timeout>();
let stopped = false;

const ping = (host: string) => (spec.mode === 'connect' ? bareConnect(spec.port, 1000, host) : bareNewPing(spec.port, 1, 1000, host));

function start(): void {
  const tick = (host: string, plannedMs: number) => {
    if (stopped) return;
    const lagUs = Math.max(0, performance.now() - plannedMs) * 1000;
    if (lags.length < MAX_SAMPLES) lags.push(lagUs);
    counts.connects++;
    ping(host).then(
      () => counts.replies++,
      () => counts.failures++,
    );
    const next = plannedMs + intervalMs;
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(host, next);
    }, next - performance.now());
    timers.add(timer);
  };
  const now = performance.now();
  for (let i = 0; i < spec.targets; i++) {
    const at = now + Math.floor((i * intervalMs) / spec.targets);
    const host = targetHost(i, spec.addresses);
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(host, at);
    }, at - now);
    timers.add(timer);
  }
}

serveCommands(
  { rssBytes: process.memoryUsage().rss },
  {
    ...profileCommands(),
    start: () => {
      start();
      return {};
    },
    window: async () => ({ atMs: performance.now(), cpuUs: cpuMicros(), gcMs: await gcPauseMs(), ...counts, ...process.memoryUsage() }),
    /** Heap in use after a full collection (the child runs with --expose-gc): what the state costs. */
    heapAfterGc: () => {
      globalThis.gc?.();
      return process.memoryUsage().heapUsed;
    },
    lags: () => {
      const taken = lags;
      lags = [];
      return { ...spread(taken), maxUs: taken.reduce((a, b) => Math.max(a, b), 0) };
    },
  },
  async () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  },
);
