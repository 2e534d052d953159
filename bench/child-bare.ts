import { bareConnect, bareNewPing } from './bare.js';
import { loadCommands, profileCommands, serveCommands } from './child.js';
import { type LoadSpec, targetHost } from './load-spec.js';

/**
 * Child: the floor. A setTimeout chain per target calling the bare ping (net.connect, write, read,
 * RST; or the handshake alone in connect mode), nothing of tcpping loaded, so its CPU and RSS are
 * what plain node:net costs for the same pings.
 */
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const intervalMs = spec.intervalMs ?? 1000;
const counts = { connects: 0, replies: 0, failures: 0 };
const load = loadCommands(counts);
const timers = new Set<NodeJS.Timeout>();
let stopped = false;

const ping = (host: string) => (spec.mode === 'connect' ? bareConnect(spec.port, 1000, host) : bareNewPing(spec.port, 1, 1000, host));

function start(): void {
  const tick = (host: string, plannedMs: number) => {
    if (stopped) return;
    const lagUs = Math.max(0, performance.now() - plannedMs) * 1000;
    load.lagUs(lagUs);
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
    ...load.commands,
  },
  async () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  },
);
