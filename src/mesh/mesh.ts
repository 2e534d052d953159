import type { Target, TargetSettings } from '../domain/target.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { formatHostPort } from '../util/hostport.js';
import type { Logger } from '../util/log.js';
import { discoverPeers, type LookupAll, type MeshSettings, type PeerAddress, systemLookupAll } from './discover.js';
import { type NameLookup, PeerNames } from './names.js';
import { rendezvousPick } from './rendezvous.js';

export interface MeshOptions extends MeshSettings {
  readonly selfName: string;
  readonly maxPeers: number;
  readonly intervalMs: number;
  /** Web port of the peers (the same as ours), for their names. */
  readonly webPort: number;
  /** The settings in force now (they change on reload). */
  readonly defaults: () => TargetSettings;
  /** How many peers are pinged under their address because their name clashed or was refused. */
  readonly onConflicts?: (count: number) => void;
}

/** Name look-ups at once: one unanswering peer must not hold up the naming of the others. */
const LOOKUPS_AT_ONCE = 8;

/**
 * Keeps the mesh's targets up to date: discovers peers every interval, names them, picks K by
 * rendezvous hashing, and reports the target list when it changes.
 */
export class Mesh {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private last = '';
  private running: Promise<void> | undefined;
  private readonly names: PeerNames;
  /** Which address holds each name: the first to claim it keeps it while it still does. */
  private readonly owners = new Map<string, string>();
  private reported = '';

  constructor(
    private readonly options: MeshOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onTargets: (targets: Target[]) => Promise<void>,
    private readonly lookupAll: LookupAll = systemLookupAll,
    lookupName?: NameLookup,
  ) {
    this.names = new PeerNames(options.webPort, clock, lookupName);
  }

  start(): void {
    this.running = this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    await this.running;
  }

  private async refresh(): Promise<void> {
    try {
      const peers = await discoverPeers(this.options, this.lookupAll);
      this.names.retain(new Set(peers.map((p) => p.host)));
      const claims = await this.claims(peers);
      const named = new Map<string, Target>();
      const conflicts: string[] = [];
      for (const [peer, claim] of claims) {
        const address = formatHostPort(peer);
        let name = claim.name ?? peer.host;
        if (claim.problem) conflicts.push(`${address}: ${claim.problem}`);
        // A name claimed twice (an old pod still in DNS, or a peer lying) is not hidden: the one that
        // held it first keeps it, the other is pinged under its address and reported.
        const owner = claim.name === null ? undefined : this.owners.get(claim.name);
        if (claim.name === this.options.selfName || (owner !== undefined && owner !== peer.host) || named.has(name)) {
          conflicts.push(`${address}: claims the name "${claim.name}" of ${claim.name === this.options.selfName ? 'this agent' : owner}`);
          name = peer.host;
          if (named.has(name)) continue;
        } else if (claim.name !== null) this.owners.set(claim.name, peer.host);
        named.set(name, { ...this.options.defaults(), name, address, host: peer.host, port: peer.port, labels: { mesh: 'peer' } });
      }
      this.report(conflicts);
      const picked = rendezvousPick(this.options.selfName, [...named.keys()], this.options.maxPeers);
      const targets = picked.map((name) => named.get(name) as Target);
      const key = JSON.stringify(targets);
      if (key !== this.last) {
        this.last = key;
        this.log.info({ peers: targets.map((t) => `${t.name}=${t.address}`) }, 'mesh peers changed');
        await this.onTargets(targets);
      }
    } catch (err) {
      this.log.warn({ err }, 'mesh peer discovery failed; keeping the peers already known');
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => (this.running = this.refresh()), this.options.intervalMs);
  }

  /** Each peer's claimed name, asked a few at a time; names no peer claims any more are released. */
  private async claims(peers: readonly PeerAddress[]): Promise<[PeerAddress, { name: string | null; problem?: string }][]> {
    const out: [PeerAddress, { name: string | null; problem?: string }][] = [];
    for (let i = 0; i < peers.length; i += LOOKUPS_AT_ONCE) {
      const batch = peers.slice(i, i + LOOKUPS_AT_ONCE);
      const names = await Promise.all(batch.map((peer) => this.names.name(peer)));
      batch.forEach((peer, j) => {
        out.push([peer, names[j] as { name: string | null; problem?: string }]);
      });
    }
    for (const [name, host] of this.owners) if (!out.some(([p, c]) => p.host === host && c.name === name)) this.owners.delete(name);
    return out;
  }

  /** Conflicts are logged when they change (not every interval) and counted for /metrics. */
  private report(conflicts: string[]): void {
    this.options.onConflicts?.(conflicts.length);
    const key = conflicts.join('\n');
    if (key === this.reported) return;
    this.reported = key;
    if (conflicts.length > 0) this.log.warn({ conflicts }, 'mesh peers pinged under their address: their name clashes or is not valid');
  }
}
