import type { IcmpReport } from '../domain/ping.js';
import type { IcmpWatch, IcmpWatcher } from '../probe/types.js';
import type { Clock } from '../util/clock.js';
import { type Attribution, type PingOwner, PingTable, type TrackedPing } from './match.js';
import { parseIcmp4, parseIcmp6 } from './parse.js';

export type IpFamily = 4 | 6;

/** What capture needs from a raw socket; `raw.ts` opens real ones, tests pass recorded packets. */
export interface RawSocket {
  on(event: 'message', listener: (packet: Buffer, source: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): unknown;
}

/** Opens an ICMP (4) or ICMPv6 (6) raw socket, or throws (EPERM without CAP_NET_RAW). */
export type OpenRawSocket = (family: IpFamily) => RawSocket;

/** What came in, for logs and measurements. */
export interface CaptureStats {
  received: number;
  rejected: number;
  unknown: number;
  duplicate: number;
  matched: number;
  late: number;
}

/**
 * One raw socket per address family for the whole process (not one per ping): every ICMP error the
 * host receives is parsed once and offered to the table of pings in flight. Lost pings get their
 * error through `watch().end()`; an error for a ping that already ended goes to the listener the
 * ping was watched with.
 */
export class IcmpCapture implements IcmpWatcher {
  readonly stats: CaptureStats = { received: 0, rejected: 0, unknown: 0, duplicate: 0, matched: 0, late: 0 };
  private readonly table = new PingTable();
  private readonly waiters = new Map<TrackedPing, () => void>();
  private readonly sockets = new Map<IpFamily, RawSocket>();

  constructor(private readonly clock: Clock) {}

  /** Opens a socket per family; returns the families that failed, with why. */
  open(openRawSocket: OpenRawSocket, families: readonly IpFamily[] = [4, 6]): { family: IpFamily; error: Error }[] {
    const failures: { family: IpFamily; error: Error }[] = [];
    for (const family of families) {
      try {
        const socket = openRawSocket(family);
        socket.on('message', (packet, source) => this.receive(family, packet, source));
        // The addon closes the socket after an error; that family's capture stops, pinging goes on.
        socket.on('error', () => this.sockets.delete(family));
        this.sockets.set(family, socket);
      } catch (error) {
        failures.push({ family, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return failures;
  }

  get families(): IpFamily[] {
    return [...this.sockets.keys()];
  }

  watch(destination: { host: string; port: number }, onLate?: (report: IcmpReport) => void): IcmpWatch {
    const owner: PingOwner = onLate ? { ...destination, onLate } : destination;
    const ping = this.table.open(owner);
    return {
      bound: (address, remotePort, localPort) => this.table.bind(ping, address, remotePort, localPort),
      end: (graceMs, succeeded) => {
        if (succeeded && ping.report) ping.owner.onLate?.(ping.report);
        return this.end(ping, succeeded ? 0 : graceMs);
      },
    };
  }

  /** Parses one packet and attributes it. Public so tests can feed recorded bytes. */
  receive(family: IpFamily, packet: Uint8Array, source: string): Attribution | undefined {
    this.stats.received++;
    const parsed = family === 4 ? parseIcmp4(packet) : parseIcmp6(packet, source);
    if (!parsed.ok) {
      this.stats.rejected++;
      return undefined;
    }
    const attribution = this.table.attribute(parsed.value, this.clock.nowMs());
    this.stats[attribution.kind === 'ping' ? 'matched' : attribution.kind]++;
    if (attribution.kind === 'ping') this.waiters.get(attribution.ping)?.();
    if (attribution.kind === 'late' && attribution.ping.report) attribution.ping.owner.onLate?.(attribution.ping.report);
    return attribution;
  }

  /** Closes the sockets (they would hold the process open) and releases pings waiting for an error. */
  stop(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
    for (const release of [...this.waiters.values()]) release();
  }

  private end(ping: TrackedPing, graceMs: number): Promise<IcmpReport | undefined> {
    if (ping.report || graceMs <= 0 || ping.keys.length === 0 || this.sockets.size === 0) {
      this.table.close(ping, this.clock.nowMs());
      return Promise.resolve(ping.report);
    }
    return new Promise((resolve) => {
      const release = () => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(ping);
        this.table.close(ping, this.clock.nowMs());
        resolve(ping.report);
      };
      const timer = this.clock.setTimeout(release, graceMs);
      this.waiters.set(ping, release);
    });
  }
}
