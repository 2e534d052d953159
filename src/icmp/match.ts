import type { IcmpReport } from '../domain/ping.js';
import { canonicalAddress } from '../util/ip.js';
import type { IcmpError } from './parse.js';

/** Where a ping went, and who hears of an error that comes after the ping ended. */
export interface PingOwner {
  readonly host: string;
  readonly port: number;
  readonly onLate?: (report: IcmpReport) => void;
}

/** One ping as the matcher sees it; `report` is the first ICMP error matched to it. */
export interface TrackedPing {
  readonly owner: PingOwner;
  report: IcmpReport | undefined;
  ended: boolean;
  endedAtMs: number;
  readonly keys: string[];
}

export type Attribution =
  | { readonly kind: 'ping'; readonly ping: TrackedPing } // first error of a ping in flight
  | { readonly kind: 'late'; readonly ping: TrackedPing } // first error of a ping already ended
  | { readonly kind: 'duplicate' } // a retransmitted SYN drew another error: one count per ping
  | { readonly kind: 'unknown' }; // not a ping of ours (another process, another target)

export interface MatchLimits {
  /** How long an ended ping still claims errors (routers can be slow; its SYNs may still be queued). */
  readonly lingerMs: number;
  readonly maxLingering: number;
}

const key = (address: string, port: number, localPort: number) => `${address}|${port}|${localPort}`;

/**
 * Matches ICMP errors to pings by quoted destination address, destination port and source port.
 * The source port is what makes it exact: other processes pinging the same target (a CLI client
 * next to the service) have other source ports, so their errors are not counted as ours.
 */
export class PingTable {
  private readonly byKey = new Map<string, TrackedPing>();
  private readonly lingering: TrackedPing[] = [];

  constructor(private readonly limits: MatchLimits = { lingerMs: 10_000, maxLingering: 4096 }) {}

  open(owner: PingOwner): TrackedPing {
    return { owner, report: undefined, ended: false, endedAtMs: 0, keys: [] };
  }

  /** The connect was issued from `localPort` to `address:port` (one ping may try several addresses). */
  bind(ping: TrackedPing, address: string, port: number, localPort: number): void {
    const canonical = canonicalAddress(address);
    if (canonical === undefined || !Number.isInteger(localPort) || localPort <= 0) return;
    const k = key(canonical, port, localPort);
    // A source port reused for a new ping to the same place belongs to the new ping from now on.
    this.byKey.set(k, ping);
    ping.keys.push(k);
  }

  close(ping: TrackedPing, nowMs: number): void {
    if (ping.ended) return;
    ping.ended = true;
    ping.endedAtMs = nowMs;
    if (ping.keys.length > 0) this.lingering.push(ping);
    this.prune(nowMs);
  }

  attribute(error: IcmpError, nowMs: number): Attribution {
    this.prune(nowMs);
    const { destination, destinationPort, sourcePort } = error.quoted;
    const ping = this.byKey.get(key(destination, destinationPort, sourcePort));
    if (!ping) return { kind: 'unknown' };
    if (ping.report) return { kind: 'duplicate' };
    ping.report = { family: error.family, type: error.type, code: error.code, reporter: error.reporter };
    return ping.ended ? { kind: 'late', ping } : { kind: 'ping', ping };
  }

  /** Pings tracked, in flight or lingering (for tests and leak checks). */
  get size(): number {
    return this.byKey.size;
  }

  private prune(nowMs: number): void {
    for (let guard = this.lingering.length; guard > 0; guard--) {
      const oldest = this.lingering[0];
      if (!oldest) break;
      const expired = nowMs - oldest.endedAtMs > this.limits.lingerMs || this.lingering.length > this.limits.maxLingering;
      if (!expired) break;
      this.lingering.shift();
      for (const k of oldest.keys) if (this.byKey.get(k) === oldest) this.byKey.delete(k);
    }
  }
}
