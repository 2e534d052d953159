import { spawn, spawnSync } from 'node:child_process';
import { ensurePeers, pingGroupAllows } from './peers-install.js';
import type { ProberName } from './peers-probers.js';
import type { PeersPlan, PeerWindow } from './peers-run.js';
import type { Row } from './report.js';
import { median } from './stats.js';

/**
 * `npm run bench -- --peers`: tcpping beside blackbox_exporter, smokeping_prober and the bare
 * connect loop, on the same K loopback targets in the same run. As root it makes a network
 * namespace of its own (named with our pid) whose ping_group_range lets smokeping_prober use
 * unprivileged ICMP, and measures everything inside it (peers-run.ts); else on 127.0.0.1 without
 * smokeping_prober unless the host's range already allows it.
 */
export type PeersOptions = Omit<PeersPlan, 'probers'>;

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

async function runInside(plan: PeersPlan, namespace: string | undefined, log: (line: string) => void) {
  const node = [process.execPath, '--import', 'tsx', 'bench/peers-run.ts', JSON.stringify(plan), namespace ? '1' : '0'];
  const command = namespace ? ['ip', 'netns', 'exec', namespace, ...node] : node;
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`peers-run exited with ${code}`);
  log('peers: done');
  return JSON.parse(out) as { windows: PeerWindow[]; errors: string[] };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export interface PeerSummary {
  readonly prober: ProberName;
  readonly k: number;
  readonly windows: number;
  readonly cpuUsPerProbe: number;
  readonly probesPerSecond: number;
  readonly okRatio: number;
  readonly targetDropRatio: number;
  readonly rssBytes: number;
  readonly metricsBytes: number;
  readonly metricsMs: number;
  readonly scrapeCpuUs: number;
  readonly sideCpuUsPerProbe: number;
}

/** Medians over every window of a prober at a K (all repetitions). */
export function summarize(windows: readonly PeerWindow[]): PeerSummary[] {
  const groups = new Map<string, PeerWindow[]>();
  for (const w of windows) groups.set(`${w.k} ${w.prober}`, [...(groups.get(`${w.k} ${w.prober}`) ?? []), w]);
  return [...groups.values()].map((ws) => {
    // Figures the run could not take (NaN) arrive from peers-run.ts as JSON null: left out, like absent ones.
    const of = (f: (w: PeerWindow) => number | undefined) => median(ws.map(f).filter((v): v is number => typeof v === 'number'));
    const first = ws[0] as PeerWindow;
    return {
      prober: first.prober,
      k: first.k,
      windows: ws.length,
      cpuUsPerProbe: of((w) => w.cpuUsPerProbe),
      probesPerSecond: of((w) => w.probesPerSecond),
      okRatio: of((w) => w.okRatio),
      targetDropRatio: of((w) => w.targetDropRatio),
      rssBytes: of((w) => w.rssBytes),
      metricsBytes: of((w) => w.metricsBytes),
      metricsMs: of((w) => w.metricsMs),
      scrapeCpuUs: of((w) => w.scrapeCpuUs),
      sideCpuUsPerProbe: of((w) => w.sideCpuUsPerProbe),
    };
  });
}

function toRows(summaries: readonly PeerSummary[]): Row[] {
  const find = (k: number, prober: ProberName) => summaries.find((s) => s.k === k && s.prober === prober);
  return summaries.map((s) => {
    const bare = find(s.k, 'bare')?.cpuUsPerProbe ?? Number.NaN;
    const ours = find(s.k, 'tcpping')?.cpuUsPerProbe ?? Number.NaN;
    const notes = [
      `${(s.cpuUsPerProbe / ours).toFixed(2)}x tcpping`,
      `${s.probesPerSecond.toFixed(0)} probes/s of ${s.k}`,
      Number.isFinite(s.okRatio) ? `ok ${(100 * s.okRatio).toFixed(2)}%` : 'ok unknown (counted at the target server)',
      `RSS ${mib(s.rssBytes)}`,
    ];
    // A TCP probe the target server's full listen queue dropped is the target's loss, not the prober's (ICMP probes never reach it).
    if (s.targetDropRatio > 0)
      notes.splice(3, 0, `target server's listen queue dropped ${(100 * s.targetDropRatio).toFixed(2)}% (kernel count)`);
    if (Number.isNaN(s.metricsBytes) && s.metricsMs > 0) notes.push(`/metrics unread after ${(s.metricsMs / 1000).toFixed(0)} s`);
    if (Number.isFinite(s.metricsBytes)) notes.push(`/metrics ${(s.metricsBytes / 1e6).toFixed(2)} MB in ${s.metricsMs.toFixed(0)} ms`);
    if (Number.isFinite(s.sideCpuUsPerProbe)) notes.push(`driver ${s.sideCpuUsPerProbe.toFixed(0)} µs/probe (not counted)`);
    return {
      section: 'peers',
      name: `${s.prober}, K=${s.k}: CPU per probe`,
      unit: 'µs',
      ours: s.cpuUsPerProbe,
      floor: bare,
      ratio: s.cpuUsPerProbe / bare,
      note: notes.join('; '),
    };
  });
}

export async function runPeers(options: PeersOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const root = process.getuid?.() === 0;
  const versions = ensurePeers(root, log);
  const probers: ProberName[] = ['bare', 'tcpping'];
  if (versions.has('blackbox')) probers.push('blackbox');
  if (versions.has('smokeping') && (root || pingGroupAllows())) probers.push('smokeping');
  else if (versions.has('smokeping'))
    log('peers: smokeping_prober skipped: net.ipv4.ping_group_range excludes our group and only root can make a namespace');
  const plan: PeersPlan = { ...options, probers };
  const namespace = root ? `tcpping-peers-${process.pid}` : undefined;
  let result: { windows: PeerWindow[]; errors: string[] };
  if (namespace) {
    ip(['netns', 'add', namespace]);
    try {
      ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      const range = spawnSync('ip', ['netns', 'exec', namespace, 'sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
      if (range.status !== 0) throw new Error('could not set net.ipv4.ping_group_range in the namespace');
      result = await runInside(plan, namespace, log);
    } finally {
      ip(['netns', 'del', namespace]);
    }
  } else {
    result = await runInside(plan, undefined, log);
  }
  for (const error of result.errors) log(`peers: ${error}`);
  const summaries = summarize(result.windows);
  return { rows: toRows(summaries), raw: { plan, versions: Object.fromEntries(versions), namespace, summaries, ...result } };
}
