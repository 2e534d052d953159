import { bareNewPing } from './bare.js';
import { type Child, spawnChild } from './child.js';
import type { Row } from './report.js';
import { median, pairedRatio, rotated } from './stats.js';

/**
 * (b) Responder throughput: `clients` concurrent bare client loops in this process, each doing one
 * ping per new connection back to back, against our responder or the bare echo server, each in its
 * own child process (so the server's CPU is its own). Repetitions alternate the two servers.
 */
export interface ThroughputOptions {
  readonly reps: number;
  readonly clients: number;
  readonly durationMs: number;
}

interface Run {
  readonly pingsPerSecond: number;
  readonly serverCpuUsPerPing: number;
  readonly failed: number;
}

const MAX_PINGS_PER_CLIENT = 1_000_000;

async function load(server: Child, options: ThroughputOptions): Promise<Run> {
  const port = server.ready.port as number;
  const before = await server.rpc<{ cpuUs: number; answered: number }>('stats');
  const start = performance.now();
  const deadline = start + options.durationMs;
  let ok = 0;
  let failed = 0;
  const client = async () => {
    for (let seq = 1; seq <= MAX_PINGS_PER_CLIENT && performance.now() < deadline; seq++) {
      try {
        await bareNewPing(port, seq);
        ok++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  const seconds = (performance.now() - start) / 1000;
  const after = await server.rpc<{ cpuUs: number; answered: number }>('stats');
  return {
    pingsPerSecond: ok / seconds,
    serverCpuUsPerPing: (after.cpuUs - before.cpuUs) / Math.max(1, after.answered - before.answered),
    failed,
  };
}

export async function runThroughput(options: ThroughputOptions): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const servers: Record<string, Child> = {};
  const runs: Record<string, Run[]> = { responder: [], bare: [] };
  try {
    for (const kind of ['responder', 'bare']) servers[kind] = await spawnChild('./child-server.ts', [kind]);
    for (const kind of ['responder', 'bare'])
      await load(servers[kind] as Child, { ...options, durationMs: Math.min(1000, options.durationMs) });
    for (let rep = 0; rep < options.reps; rep++) {
      for (const kind of rotated(['responder', 'bare'], rep)) runs[kind]?.push(await load(servers[kind] as Child, options));
    }
  } finally {
    for (const child of Object.values(servers)) await child.stop();
  }
  const ours = runs.responder ?? [];
  const floor = runs.bare ?? [];
  const pick = (rs: Run[], key: keyof Run) => rs.map((r) => r[key]);
  const note = `${options.clients} clients, new conn per ping, ${options.reps}x${options.durationMs / 1000}s`;
  const failed = [...ours, ...floor].reduce((sum, r) => sum + r.failed, 0);
  const rows: Row[] = [
    {
      section: 'b throughput',
      name: 'pings answered per second',
      unit: '1/s',
      ours: median(pick(ours, 'pingsPerSecond')),
      floor: median(pick(floor, 'pingsPerSecond')),
      ratio: pairedRatio(pick(ours, 'pingsPerSecond'), pick(floor, 'pingsPerSecond')),
      note: `${note}; floor: bare echo server${failed ? `; ${failed} failed pings` : ''}`,
    },
    {
      section: 'b throughput',
      name: 'server CPU per ping',
      unit: 'µs',
      ours: median(pick(ours, 'serverCpuUsPerPing')),
      floor: median(pick(floor, 'serverCpuUsPerPing')),
      ratio: pairedRatio(pick(ours, 'serverCpuUsPerPing'), pick(floor, 'serverCpuUsPerPing')),
      note: 'server process user+sys, incl. accept and close',
    },
  ];
  return { rows, raw: { options, runs } };
}
