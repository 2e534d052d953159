import type { Socket } from 'node:net';
import type { IcmpReport, LossReason } from '../domain/ping.js';
import type { QueuedError } from '../kernel/error-queue.js';
import { SO_EE_ORIGIN_ICMP } from '../kernel/linux.js';
import type { KernelSocket } from '../kernel/sockets.js';
import { lossReasonWithIcmp } from './icmp-reason.js';
import { icmpVerdict } from './icmp-verdict.js';
import type { IcmpWatch, ProbeContext, ProbeRequest } from './types.js';

/** Node's socket.localPort is empty while connecting; the handle knows the port once connect(2) is issued (none once closed). */
function boundLocalPort(socket: KernelSocket): number | undefined {
  const handle = (socket as unknown as { _handle?: { getsockname?: (out: { port?: number }) => number } })._handle;
  const out: { port?: number } = {};
  if (handle?.getsockname?.(out) === 0 && out.port) return out.port;
  return socket.localPort || undefined;
}

/** An error-queue entry as the rest of tcpping sees ICMP errors. */
export function reportOf(entry: QueuedError): IcmpReport {
  return { family: entry.origin === SO_EE_ORIGIN_ICMP ? 4 : 6, type: entry.type, code: entry.code, reporter: entry.offender ?? '' };
}

/**
 * The ICMP errors about one ping: the one the kernel queued on its socket, and the capture's copy
 * of any that quoted its addresses and ports. At the end `icmpVerdict` says which explains the
 * loss; the others are reported through `onUnverifiedIcmp`, as late ones are by the capture.
 */
export class PingIcmp {
  private readonly watch: IcmpWatch | undefined;
  private queued: IcmpReport | undefined;

  constructor(
    private readonly request: ProbeRequest,
    private readonly context: ProbeContext,
  ) {
    // The request is the destination: no object or closure made per ping for the capture to keep.
    this.watch = context.icmp?.watch(request);
  }

  /** The ping goes over a kept connection: its addresses and ports are known. */
  reused(socket: Socket): void {
    if (this.watch && socket.remoteAddress && socket.localPort) {
      this.watch.bound(socket.remoteAddress, socket.remotePort ?? this.request.port, socket.localPort);
    }
  }

  /**
   * The ping's connect(2) to `address:port` is about to be issued (Node emits 'connectionAttempt'
   * just before, in the same tick). The source port the kernel picks is asked of the socket only
   * if an ICMP error needs it, or before the socket of a failed ping closes (see pin).
   */
  attempting(socket: KernelSocket, address: string, port: number): void {
    this.watch?.bound(address, port, () => boundLocalPort(socket));
  }

  /** The socket is about to close (its connect failed, or the ping is lost): late errors must still find it. */
  pin(): void {
    this.watch?.pin();
  }

  /** Reads the ICMP error the kernel queued for the socket, if any (see SocketKernel.icmpErrors for when). */
  takeQueued(socket: KernelSocket): void {
    const entry = this.context.kernel?.icmpErrors(socket)[0];
    if (entry) this.queued ??= reportOf(entry);
  }

  /** The ping got its reply: a copy the capture matched to it meanwhile was not about it after all. */
  succeeded(): void {
    const captured = this.watch?.end();
    if (captured) this.request.onUnverifiedIcmp?.(this.request.seq, captured, 'unconfirmed');
  }

  /** The ping is lost for `reason` (the socket's `errno`, if any): the ICMP error that explains it, and the reason it stands for. */
  failed(reason: LossReason, errno: string | undefined): { reason: LossReason; icmp?: IcmpReport } {
    const captured = this.watch?.end(this.queued);
    const { icmp, apart } = icmpVerdict({ queued: this.queued, captured, errno });
    if (apart) this.request.onUnverifiedIcmp?.(this.request.seq, apart, 'unconfirmed');
    return icmp ? { reason: lossReasonWithIcmp(reason, icmp), icmp } : { reason };
  }
}
