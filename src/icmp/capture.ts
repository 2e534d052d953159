import type { IcmpDestination, IcmpWatch, IcmpWatcher } from '../probe/types.js';
import type { Clock } from '../util/clock.js';
import { type Attribution, PingTable } from './match.js';
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
 * host receives is parsed once and offered to the table of pings in flight. A ping gets the copy
 * matched to it through `watch().end()` (the probe decides whether to believe it); an error for a
 * ping that already ended goes to the listener the ping was watched with. No ping waits for a copy:
 * the kernel delivers an ICMP error to raw sockets before TCP acts on it, so the copy is read in
 * an earlier turn of the event loop than the socket's error.
 */
export class IcmpCapture implements IcmpWatcher {
  readonly stats: CaptureStats = { received: 0, rejected: 0, unknown: 0, duplicate: 0, matched: 0, late: 0 };
  private readonly table = new PingTable();
  private readonly sockets = new Map<IpFamily, RawSocket>();
  /** Where packets go instead of this table, when the pings run in worker threads (see relayTo). */
  private relay: ((family: IpFamily, packet: Uint8Array, source: string) => void) | undefined;

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

  watch(destination: IcmpDestination): IcmpWatch {
    const ping = this.table.open(destination);
    return {
      bound: (address, remotePort, localPort) => this.table.bind(ping, address, remotePort, localPort),
      pin: () => this.table.pin(ping),
      end: (known) => {
        const captured = ping.report;
        // Copies of the error the verdict carries, still on their way, are duplicates rather than late.
        ping.report ??= known;
        this.table.close(ping, this.clock.nowMs());
        return captured;
      },
    };
  }

  /**
   * Hands every packet to `relay` instead of matching it here: the pings run in worker threads,
   * each with a capture of its own (no socket) fed from this one, since the raw-socket addon
   * loads in the main thread only.
   */
  relayTo(relay: (family: IpFamily, packet: Uint8Array, source: string) => void): void {
    this.relay = relay;
  }

  /** Parses one packet and attributes it. Public so tests can feed recorded bytes. */
  receive(family: IpFamily, packet: Uint8Array, source: string): Attribution | undefined {
    this.stats.received++;
    if (this.relay) {
      this.relay(family, packet, source);
      return undefined;
    }
    const parsed = family === 4 ? parseIcmp4(packet) : parseIcmp6(packet, source);
    if (!parsed.ok) {
      this.stats.rejected++;
      return undefined;
    }
    const attribution = this.table.attribute(parsed.value, this.clock.nowMs());
    this.stats[attribution.kind === 'ping' ? 'matched' : attribution.kind]++;
    if (attribution.kind === 'late' && attribution.ping.report)
      attribution.ping.onLate?.(attribution.ping.seq, attribution.ping.report, 'late');
    return attribution;
  }

  /** Closes the sockets (they would hold the process open). */
  stop(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }
}
