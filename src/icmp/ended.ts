import type { MatchLimits, TrackedPing } from './match.js';

/** A binding's source port once asked (see PingTable.pin); 0 when it could not be known. */
const knownPort = (localPort: unknown) => (typeof localPort === 'number' ? localPort : 0);

/**
 * Pings that ended, still claiming late errors under destination address, destination port and
 * source port, for `lingerMs` and at most `maxLingering` of them, oldest out first. A ring, not an
 * array shifted at every ping: at thousands of pings a second the ring is always full.
 */
export class EndedPings {
  /**
   * By address, destination port, source port: three small-integer lookups. One key of both ports
   * (port × 65,536 + source port) is past V8's small integers, a heap number hashed and made per lookup.
   */
  private readonly byAddress = new Map<string, Map<number, Map<number, TrackedPing>>>();
  private readonly ring: (TrackedPing | undefined)[];
  private head = 0;
  private count = 0;
  private entries = 0;

  constructor(private readonly limits: MatchLimits) {
    this.ring = new Array(Math.max(0, limits.maxLingering)).fill(undefined);
  }

  /** The ping's source ports are its own from now on (one reused for a new ping to the same place is the new ping's). */
  add(ping: TrackedPing, nowMs: number): void {
    let claimed = false;
    for (const { address, port, localPort } of ping.bindings) {
      const source = knownPort(localPort);
      if (source <= 0) continue;
      let ports = this.byAddress.get(address);
      if (!ports) {
        ports = new Map();
        this.byAddress.set(address, ports);
      }
      let sources = ports.get(port);
      if (!sources) {
        sources = new Map();
        ports.set(port, sources);
      }
      if (!sources.has(source)) this.entries++;
      sources.set(source, ping);
      claimed = true;
    }
    if (claimed) {
      if (this.ring.length === 0) this.release(ping);
      else {
        if (this.count === this.ring.length) this.dropOldest();
        this.ring[(this.head + this.count) % this.ring.length] = ping;
        this.count++;
      }
    }
    this.prune(nowMs);
  }

  find(address: string, port: number, localPort: number): TrackedPing | undefined {
    return this.byAddress.get(address)?.get(port)?.get(localPort);
  }

  prune(nowMs: number): void {
    while (this.count > 0) {
      const oldest = this.ring[this.head] as TrackedPing;
      if (nowMs - oldest.endedAtMs <= this.limits.lingerMs) break;
      this.dropOldest();
    }
  }

  get size(): number {
    return this.entries;
  }

  private dropOldest(): void {
    const oldest = this.ring[this.head] as TrackedPing;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.release(oldest);
  }

  private release(ping: TrackedPing): void {
    for (const { address, port, localPort } of ping.bindings) {
      const ports = this.byAddress.get(address);
      const sources = ports?.get(port);
      const source = knownPort(localPort);
      if (!ports || sources?.get(source) !== ping) continue;
      sources.delete(source);
      this.entries--;
      if (sources.size > 0) continue;
      ports.delete(port);
      if (ports.size === 0) this.byAddress.delete(address);
    }
  }
}
