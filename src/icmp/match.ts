import type { IcmpReport } from '../domain/ping.js';
import type { IcmpDestination, UnverifiedIcmpListener } from '../probe/types.js';
import { canonicalAddress } from '../util/ip.js';
import { EndedPings } from './ended.js';
import type { IcmpError } from './parse.js';

/**
 * The source port of a connection: known, or asked of its socket (getsockname) when an error in
 * flight needs it or the ping ends, whichever comes first; no microtask per connect to ask it
 * right after connect(2). Undefined once the socket is closed.
 */
export type SourcePort = number | (() => number | undefined);

export interface Binding {
  readonly address: string;
  readonly port: number;
  localPort: SourcePort;
}

/**
 * One ping as the matcher sees it; `report` is the first ICMP error matched to it. Its fields are
 * copied from the ping's request, whose objects are not kept: an ended ping lingers for seconds,
 * and a thousand a second kept with their closures and contexts cost 25–30 µs of CPU per ping and
 * 23 MiB of RSS at 1,000 targets (garbage collection).
 */
export interface TrackedPing {
  readonly host: string;
  readonly port: number;
  readonly seq: number;
  /** Hears of an error that comes after the ping ended (made once per target). */
  readonly onLate: UnverifiedIcmpListener | undefined;
  report: IcmpReport | undefined;
  ended: boolean;
  endedAtMs: number;
  /** Most pings have one (one address tried): an array of exactly that, not one grown by push. */
  bindings: readonly Binding[];
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

/** The port, asking the socket once if it has not been asked yet; 0 when it cannot be known. */
function portOf(binding: Binding): number {
  if (typeof binding.localPort === 'number') return binding.localPort;
  const port = binding.localPort() ?? 0;
  binding.localPort = port;
  return port;
}

const noBindings: readonly Binding[] = Object.freeze([]);

/** Addresses whose (empty) set of pings in flight is kept for the next ping to them. */
const KEPT_ADDRESSES = 1024;

/** Canonical spellings of the few addresses pinged, kept: an IPv6 one is parsed through a URL. */
const canonicalCache = new Map<string, string | undefined>();
function canonical(address: string): string | undefined {
  if (canonicalCache.has(address)) return canonicalCache.get(address);
  const value = canonicalAddress(address);
  if (canonicalCache.size >= 65_536) canonicalCache.clear();
  canonicalCache.set(address, value);
  return value;
}

/**
 * Matches ICMP errors to pings by quoted destination address, destination port and source port.
 * The source port is what makes it exact: other processes pinging the same target (a CLI client
 * next to the service) have other source ports, so their errors are not counted as ours. Pings in
 * flight are found by destination and their source port asked for then (getsockname, only when an
 * error needs it). An ended ping keeps claiming errors (late ones) under its source port: every
 * ping has it asked before its socket closes (pin), however it ended.
 */
export class PingTable {
  private readonly inFlight = new Map<string, Set<TrackedPing>>();
  private readonly ended: EndedPings;

  constructor(limits: MatchLimits = { lingerMs: 10_000, maxLingering: 4096 }) {
    this.ended = new EndedPings(limits);
  }

  open(destination: IcmpDestination): TrackedPing {
    const { host, port, seq, onUnverifiedIcmp } = destination;
    return { host, port, seq, onLate: onUnverifiedIcmp, report: undefined, ended: false, endedAtMs: 0, bindings: noBindings };
  }

  /** The connect was issued from `localPort` to `address:port` (one ping may try several addresses). */
  bind(ping: TrackedPing, address: string, port: number, localPort: SourcePort): void {
    const canonicalAddress = canonical(address);
    if (canonicalAddress === undefined || ping.ended) return;
    if (typeof localPort === 'number' && (!Number.isInteger(localPort) || localPort <= 0)) return;
    const binding: Binding = { address: canonicalAddress, port, localPort };
    ping.bindings = ping.bindings.length === 0 ? [binding] : [...ping.bindings, binding];
    const pings = this.inFlight.get(canonicalAddress);
    if (pings) pings.add(ping);
    else this.inFlight.set(canonicalAddress, new Set<TrackedPing>().add(ping));
  }

  /** The ping's socket is about to close: its source ports are asked now, while they can be. */
  pin(ping: TrackedPing): void {
    for (const binding of ping.bindings) portOf(binding);
  }

  close(ping: TrackedPing, nowMs: number): void {
    if (ping.ended) return;
    ping.ended = true;
    ping.endedAtMs = nowMs;
    for (const binding of ping.bindings) {
      const pings = this.inFlight.get(binding.address);
      // An address's set is kept while it empties and fills again with every ping to it (a new
      // Set per ping was most of the matcher's garbage); only when many addresses are kept.
      if (pings?.delete(ping) && pings.size === 0 && this.inFlight.size > KEPT_ADDRESSES) this.inFlight.delete(binding.address);
    }
    this.ended.add(ping, nowMs);
  }

  attribute(error: IcmpError, nowMs: number): Attribution {
    this.ended.prune(nowMs);
    const ping = this.find(error.quoted.destination, error.quoted.destinationPort, error.quoted.sourcePort);
    if (!ping) return { kind: 'unknown' };
    if (ping.report) return { kind: 'duplicate' };
    ping.report = { family: error.family, type: error.type, code: error.code, reporter: error.reporter };
    return ping.ended ? { kind: 'late', ping } : { kind: 'ping', ping };
  }

  /** A ping in flight first: a source port reused by a new ping is the new ping's. */
  private find(destination: string, destinationPort: number, sourcePort: number): TrackedPing | undefined {
    for (const ping of this.inFlight.get(destination) ?? []) {
      for (const b of ping.bindings) {
        if (b.address === destination && b.port === destinationPort && portOf(b) === sourcePort) return ping;
      }
    }
    return this.ended.find(destination, destinationPort, sourcePort);
  }

  /** Pings tracked, in flight or lingering (for tests and leak checks). */
  get size(): number {
    let inFlight = 0;
    for (const pings of this.inFlight.values()) inFlight += pings.size;
    return this.ended.size + inFlight;
  }
}
