import type { Target, TargetSettings } from '../domain/target.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { formatHostPort } from '../util/hostport.js';
import type { Logger } from '../util/log.js';
import { discoverPeers, type LookupAll, type MeshSettings, systemLookupAll } from './discover.js';
import { PeerNames } from './names.js';
import { rendezvousPick } from './rendezvous.js';

export interface MeshOptions extends MeshSettings {
  readonly selfName: string;
  readonly maxPeers: number;
  readonly intervalMs: number;
  /** Web port of the peers (the same as ours), for their names. */
  readonly webPort: number;
  /** The settings in force now (they change on reload). */
  readonly defaults: () => TargetSettings;
}

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

  constructor(
    private readonly options: MeshOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onTargets: (targets: Target[]) => Promise<void>,
    private readonly lookupAll: LookupAll = systemLookupAll,
  ) {
    this.names = new PeerNames(options.webPort);
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
      const named = new Map<string, Target>();
      for (const peer of peers) {
        const name = await this.names.name(peer);
        // Two addresses claiming one name: an old pod still in DNS; the first one keeps the name.
        if (name === this.options.selfName || named.has(name)) continue;
        const address = formatHostPort(peer);
        named.set(name, { ...this.options.defaults(), name, address, host: peer.host, port: peer.port, labels: { mesh: 'peer' } });
      }
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
}
