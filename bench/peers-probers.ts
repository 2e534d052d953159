import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { serviceNodeFlags } from '../src/cli/node-flags.js';
import { serve } from '../test/abuse/attacks.js';
import { closedPort } from '../test/helpers/servers.js';
import { compiledCli, spawnChild } from './child.js';
import { peerAddress, sumSamples } from './peers-targets.js';
import { leanDrop } from './series.js';
import { sleep } from './stats.js';

/** Above this many targets tcpping runs a worker per core and lean series (below it one thread is cheaper per ping: README, "Every core"). */
const WORKERS_FROM_TARGETS = 2000;

/**
 * The four probers of the peers benchmark, each started on K targets with one probe per target per
 * second, each readable the same way: cumulative probes sent and succeeded, and (where the prober
 * has one) its /metrics body, fetched and timed as a Prometheus would.
 */
export const proberNames = ['bare', 'tcpping', 'blackbox', 'smokeping'] as const;
export type ProberName = (typeof proberNames)[number];

export interface PeerSetup {
  readonly targets: number;
  /** The TCP target server's port (every target address listens on it). */
  readonly port: number;
  /** Inside the benchmark's own network namespace (root): distinct 127.x addresses, ICMP capture on. */
  readonly isolated: boolean;
  /** A scratch directory for config files. */
  readonly dir: string;
  /** Connections the target server has accepted so far: the count of last resort for a prober whose /metrics cannot be read. */
  readonly accepted: () => Promise<number>;
}

export interface Reading {
  readonly sent: number;
  readonly ok: number;
  readonly metricsBytes?: number;
  readonly metricsMs?: number;
  /** CPU of a helper that is not the prober (blackbox's driver), µs, cumulative. */
  readonly sideCpuUs?: number;
  /** Failed probes by cause, cumulative, where the prober's driver tells them apart. */
  readonly failures?: Record<string, number>;
}

export interface RunningProber {
  /** The prober's own process: its CPU and RSS are what is measured. */
  readonly pid: number;
  read(): Promise<Reading>;
  stop(): Promise<void>;
}

export const debianBinaries = { blackbox: '/usr/bin/prometheus-blackbox-exporter', smokeping: '/usr/bin/prometheus-smokeping-prober' };

/** GET /metrics (text format): body size, time to the last byte, and the counters asked for. Patient: an overloaded prober answers late. */
async function scrape(
  port: number,
  names: readonly string[],
  timeoutMs = 120_000,
): Promise<{ bytes: number; ms: number; sums: Record<string, number> }> {
  const t0 = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })).text();
  return { bytes: Buffer.byteLength(text), ms: performance.now() - t0, sums: sumSamples(text, names) };
}

/** A Go prober started directly (its pid is its own), ready once /metrics answers; stopped by that pid. */
async function startGo(
  bin: string,
  args: readonly string[],
  webPort: number,
  readyMs: number,
): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${bin}`);
  // Not left behind if the benchmark exits early (peers-run.ts turns SIGINT/SIGTERM into an exit).
  const reap = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const killer = setTimeout(() => process.kill(pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${webPort}/metrics`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${bin} did not serve /metrics within ${readyMs} ms: ${stderr}`);
    }
    await sleep(200);
  }
}

const flag = (isolated: boolean) => (isolated ? '1' : '0');

export async function startProber(name: ProberName, setup: PeerSetup): Promise<RunningProber> {
  const { targets, port, isolated, dir } = setup;
  const hosts = Array.from({ length: targets }, (_, i) => peerAddress(i, isolated));
  if (name === 'bare') {
    const child = await spawnChild('./peers-child.ts', ['bare', String(port), String(targets), flag(isolated)]);
    return { pid: child.pid, read: () => child.rpc<Reading>('stats'), stop: () => child.stop() };
  }
  if (name === 'tcpping') {
    const config = {
      log: { level: 'info' },
      responder: { enabled: false },
      web: { listenAddress: '127.0.0.1:0' },
      icmp: { capture: isolated ? 'on' : 'off' },
      // As docs/deploy.md sizes a prober: one thread up to a few thousand targets; beyond, a worker
      // per core and the lean series (without the classic buckets a Prometheus with native histograms drops).
      ...(targets > WORKERS_FROM_TARGETS ? { scheduler: { workers: availableParallelism() }, metrics: { drop: leanDrop } } : {}),
      defaults: { mode: 'connect', count: 1, intervalMs: 1000, timeoutMs: 1000 },
      targets: hosts.map((host, i) => ({ name: `t${i}`, address: `${host}:${port}` })),
    };
    const served = await serve(config, compiledCli(), undefined, serviceNodeFlags);
    const pid = served.child.pid as number;
    // Should its /metrics not finish in time (a loop that cannot carry its targets), the handshakes
    // the target server accepted count instead.
    const read = async (): Promise<Reading> => {
      const t0 = performance.now();
      try {
        const s = await scrape(served.webPort, ['tcpping_pings_sent_total', 'tcpping_pings_lost_total'], 20_000);
        const sent = s.sums.tcpping_pings_sent_total as number;
        return { sent, ok: sent - (s.sums.tcpping_pings_lost_total as number), metricsBytes: s.bytes, metricsMs: s.ms };
      } catch {
        return { sent: await setup.accepted(), ok: Number.NaN, metricsBytes: Number.NaN, metricsMs: performance.now() - t0 };
      }
    };
    return { pid, read, stop: async () => void (await served.stop()) };
  }
  const webPort = await closedPort();
  const listen = `--web.listen-address=127.0.0.1:${webPort}`;
  if (name === 'blackbox') {
    const file = join(dir, 'blackbox.yml');
    writeFileSync(file, 'modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 1s\n');
    const go = await startGo(debianBinaries.blackbox, [`--config.file=${file}`, listen, '--log.level=warn'], webPort, 30_000);
    const driver = await spawnChild('./peers-child.ts', ['driver', String(webPort), String(port), String(targets), flag(isolated)]).catch(
      async (error) => {
        await go.stop();
        throw error;
      },
    );
    const read = async (): Promise<Reading> => {
      const own = await scrape(webPort, []);
      const d = await driver.rpc<{ sent: number; ok: number; cpuUs: number; failures: Record<string, number> }>('stats');
      return { sent: d.sent, ok: d.ok, metricsBytes: own.bytes, metricsMs: own.ms, sideCpuUs: d.cpuUs, failures: d.failures };
    };
    const stop = async () => {
      await driver.stop();
      await go.stop();
    };
    return { pid: go.pid, read, stop };
  }
  // smokeping_prober: unprivileged ICMP ("udp" sockets; needs net.ipv4.ping_group_range to cover our gid).
  const file = join(dir, 'smokeping.yml');
  const list = hosts.map((h) => `      - ${h}\n`).join('');
  writeFileSync(file, `targets:\n  - interval: 1s\n    network: ip4\n    protocol: udp\n    size: 56\n    hosts:\n${list}`);
  const go = await startGo(
    debianBinaries.smokeping,
    [`--config.file=${file}`, listen, '--no-privileged', '--log.level=warn'],
    webPort,
    240_000,
  );
  const read = async (): Promise<Reading> => {
    const s = await scrape(webPort, ['smokeping_requests_total', 'smokeping_response_duration_seconds_count']);
    return {
      sent: s.sums.smokeping_requests_total as number,
      ok: s.sums.smokeping_response_duration_seconds_count as number,
      metricsBytes: s.bytes,
      metricsMs: s.ms,
    };
  };
  return { pid: go.pid, read, stop: go.stop };
}
