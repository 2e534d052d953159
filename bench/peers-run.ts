import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from '../test/helpers/servers.js';
import { spawnChild } from './child.js';
import { type ProberName, type Reading, type RunningProber, startProber } from './peers-probers.js';
import { rotated, sleep } from './stats.js';

/**
 * The peers benchmark's measuring process (inside the benchmark's network namespace when root): for
 * each K, one TCP target server, then the probers one after the other in an order rotated every
 * repetition, so the shared machine's noise falls alike on each. Each prober warms up, then its CPU
 * (utime + stime of its process, from /proc) and probes are read at window boundaries.
 * `node --import tsx bench/peers-run.ts PLAN_JSON ISOLATED` prints a JSON document on stdout.
 */
export interface PeersPlan {
  readonly ks: readonly number[];
  readonly reps: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly windows: number;
  readonly probers: readonly ProberName[];
}

export interface PeerWindow {
  readonly prober: ProberName;
  readonly k: number;
  readonly rep: number;
  readonly cpuUsPerProbe: number;
  readonly probesPerSecond: number;
  readonly okRatio: number;
  /** Connections a full listen queue dropped (the kernel's TcpExt ListenDrops: the namespace's, or without root the host's), per probe sent: a loss that is the target's. */
  readonly targetDropRatio: number;
  readonly rssBytes: number;
  readonly metricsBytes?: number;
  readonly metricsMs?: number;
  /** The prober's CPU for one read (a /metrics GET where it has one), µs: ±10 ms at the kernel's tick. */
  readonly scrapeCpuUs: number;
  readonly sideCpuUsPerProbe?: number;
  /** Failed probes by cause since the prober started (blackbox's driver tells them apart). */
  readonly failures?: Record<string, number>;
}

const tickUs = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** utime + stime of a process (all its threads), µs. */
function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * tickUs;
}

function procRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

/** TcpExt ListenDrops of this network namespace: SYNs and handshakes a listener's full queue dropped. */
function listenDrops(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const names = (lines[0] ?? '').split(' ');
  const values = (lines[1] ?? '').split(' ');
  return Number(values[names.indexOf('ListenDrops')] ?? Number.NaN);
}

interface Mark {
  readonly reading: Reading;
  readonly listenDrops: number;
  /** The prober's CPU just before and just after the read (a /metrics scrape where it has one). */
  readonly cpuBeforeUs: number;
  readonly cpuAfterUs: number;
  readonly beforeMs: number;
  readonly afterMs: number;
}

/** A window's CPU runs from one read's end to the next read's start, so scrapes are counted apart, as scrapeCpuUs. */
async function mark(prober: RunningProber): Promise<Mark> {
  const cpuBeforeUs = procCpuUs(prober.pid);
  const beforeMs = performance.now();
  const drops = listenDrops();
  const reading = await prober.read();
  const afterMs = performance.now();
  return { reading, listenDrops: drops, cpuBeforeUs, beforeMs, cpuAfterUs: procCpuUs(prober.pid), afterMs };
}

async function measure(prober: RunningProber, plan: PeersPlan, at: { name: ProberName; k: number; rep: number }): Promise<PeerWindow[]> {
  const windows: PeerWindow[] = [];
  await sleep(plan.warmupMs);
  let start = await mark(prober);
  for (let w = 0; w < plan.windows; w++) {
    await sleep(plan.windowMs);
    const end = await mark(prober);
    const sent = end.reading.sent - start.reading.sent;
    const probesPerSecond = (sent * 1000) / ((end.beforeMs + end.afterMs) / 2 - (start.beforeMs + start.afterMs) / 2);
    const cpuUsPerSecond = ((end.cpuBeforeUs - start.cpuAfterUs) * 1000) / (end.beforeMs - start.afterMs);
    const side = (end.reading.sideCpuUs ?? Number.NaN) - (start.reading.sideCpuUs ?? Number.NaN);
    windows.push({
      prober: at.name,
      k: at.k,
      rep: at.rep,
      cpuUsPerProbe: cpuUsPerSecond / probesPerSecond,
      probesPerSecond,
      okRatio: (end.reading.ok - start.reading.ok) / sent,
      targetDropRatio: (end.listenDrops - start.listenDrops) / sent,
      rssBytes: procRssBytes(prober.pid),
      metricsBytes: end.reading.metricsBytes,
      metricsMs: end.reading.metricsMs,
      scrapeCpuUs: end.cpuAfterUs - end.cpuBeforeUs,
      sideCpuUsPerProbe: Number.isFinite(side) ? side / sent : undefined,
      failures: end.reading.failures,
    });
    start = end;
  }
  return windows;
}

export async function runPeersHere(plan: PeersPlan, isolated: boolean, log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-peers-'));
  const windows: PeerWindow[] = [];
  const errors: string[] = [];
  try {
    for (const k of plan.ks) {
      const port = await closedPort();
      const server = await spawnChild('./peers-child.ts', ['targets', String(port), isolated ? '1' : '0']);
      try {
        for (let rep = 0; rep < plan.reps; rep++) {
          for (const name of rotated(plan.probers, rep)) {
            log(`peers: K=${k} ${name} (${rep + 1}/${plan.reps})…`);
            const accepted = async () => (await server.rpc<{ ok: number }>('stats')).ok;
            const prober = await startProber(name, { targets: k, port, isolated, dir, accepted }).catch((error: Error) => {
              errors.push(`K=${k} ${name}: ${error.message.slice(0, 500)}`);
              return undefined;
            });
            if (!prober) continue;
            try {
              windows.push(...(await measure(prober, plan, { name, k, rep })));
            } catch (error) {
              errors.push(`K=${k} ${name}: ${(error as Error).message.slice(0, 500)}`);
            } finally {
              await prober.stop();
            }
          }
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { windows, errors };
}

if (process.argv[1]?.endsWith('peers-run.ts')) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
  const plan = JSON.parse(process.argv[2] ?? '{}') as PeersPlan;
  const result = await runPeersHere(plan, process.argv[3] === '1', (line) => console.error(line));
  console.log(JSON.stringify(result));
}
