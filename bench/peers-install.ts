import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { debianBinaries } from './peers-probers.js';

/**
 * Debian's blackbox_exporter and smokeping_prober for the peers benchmark: installed with apt-get
 * when missing and root, else skipped with one line. The benchmark runs its own copies on ports it
 * picks; the packages' services must not be started by the install, so a policy-rc.d that denies
 * every start (what invoke-rc.d and deb-systemd-invoke ask) is put in place for the install when
 * there is none, and removed after.
 */
const packages = { blackbox: 'prometheus-blackbox-exporter', smokeping: 'prometheus-smokeping-prober' } as const;
export type PeerName = keyof typeof packages;
const POLICY = '/usr/sbin/policy-rc.d';

function install(names: readonly PeerName[], log: (line: string) => void): void {
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# tcpping bench: no service starts while it installs\nexit 101\n', { mode: 0o755 });
  try {
    const list = names.map((n) => packages[n]);
    log(`peers: apt-get install ${list.join(' ')}…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args: string[]) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] }).status;
    if (apt(['install', '-y', '--no-install-recommends', ...list]) !== 0) {
      apt(['update']);
      apt(['install', '-y', '--no-install-recommends', ...list]);
    }
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
}

/** Pids of processes running one of the packages' binaries (a service a package started): reported, never touched. */
function runningServices(): number[] {
  const binaries = new Set(Object.values(debianBinaries));
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (binaries.has(readlinkSync(`/proc/${entry}/exe`))) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

function version(bin: string): string {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`.split('\n')[0]?.trim() ?? 'unknown';
}

/** The peers that can run here, with their versions; a line for each one that cannot. */
export function ensurePeers(root: boolean, log: (line: string) => void): Map<PeerName, string> {
  const names = Object.keys(packages) as PeerName[];
  const missing = names.filter((n) => !existsSync(debianBinaries[n]));
  if (missing.length > 0 && root) install(missing, log);
  else if (missing.length > 0) log(`peers: ${missing.map((n) => packages[n]).join(' and ')} missing and not root to install: skipped`);
  const services = runningServices();
  if (services.length > 0)
    log(`peers: a packaged service runs (pids ${services.join(', ')}); the benchmark uses its own copies on other ports`);
  const found = new Map<PeerName, string>();
  for (const n of names) if (existsSync(debianBinaries[n])) found.set(n, version(debianBinaries[n]));
  return found;
}

/** Whether unprivileged ICMP sockets are open to our group here (net.ipv4.ping_group_range). */
export function pingGroupAllows(): boolean {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
  const gid = process.getgid?.() ?? -1;
  return gid >= (low as number) && gid <= (high as number);
}
