import { TcpState } from '../kernel/linux.js';
import type { TcpInfo } from '../kernel/tcp-info.js';

/**
 * How far userland and the kernel may disagree before we call it a stall of the event loop and
 * take the kernel's figure. The kernel's ages (tcpi_last_*) count in jiffies, 4 ms at HZ=250 and
 * 10 ms at HZ=100: two jiffies of the coarsest common HZ.
 */
export const STALL_SLACK_SECONDS = 0.02;

export type HandshakeInfo = Pick<TcpInfo, 'rttUs' | 'totalRetrans' | 'lastAckRecvMs'>;

export interface Handshake {
  readonly seconds: number;
  readonly synRetransmits: number;
}

/**
 * The handshake as the kernel timed it, from TCP_INFO read `elapsedSeconds` after connect() was
 * called. Without a retransmission the first RTT sample (tcpi_rtt) is the SYN → SYN-ACK time, to
 * the microsecond. After one it is not (a 1 ms-granular timestamp echo, 0 by Karn's rule, or the
 * whole timeout when the SYN-ACK was lost): the handshake then ended tcpi_last_ack_recv ago, to a jiffy.
 */
export function kernelHandshake(info: HandshakeInfo, elapsedSeconds: number): Handshake {
  if (info.totalRetrans === 0 && info.rttUs > 0) return { seconds: info.rttUs / 1e6, synRetransmits: 0 };
  return { seconds: Math.max(0, elapsedSeconds - info.lastAckRecvMs / 1000), synRetransmits: info.totalRetrans };
}

/** A figure timed in userland, against the kernel's: the kernel's wins when userland is later by more than the slack. */
export function boundByKernel(userlandSeconds: number, kernelSeconds: number): { seconds: number; stalledSeconds?: number } {
  const stall = userlandSeconds - kernelSeconds;
  return stall > STALL_SLACK_SECONDS ? { seconds: kernelSeconds, stalledSeconds: stall } : { seconds: userlandSeconds };
}

/**
 * Request → reply as the kernel saw it: from when it sent the request's data to when the reply's
 * last bytes came in, both ages read at once (to a jiffy each). Nothing of ours is in it, not even
 * a stall between our write's timestamp and the write itself.
 */
export function kernelReplySeconds(info: Pick<TcpInfo, 'lastDataSentMs' | 'lastDataRecvMs'>): number {
  return Math.max(0, (info.lastDataSentMs - info.lastDataRecvMs) / 1000);
}

export type DeadlineVerdict =
  /** Nothing came in time: the ping is lost. */
  | { readonly kind: 'timeout'; readonly synRetransmits?: number }
  /** The handshake completed within the budget; only our callback is late. */
  | { readonly kind: 'handshake'; readonly handshake: Handshake }
  /** The reply came within the budget and waits in the socket for Node to read it. */
  | { readonly kind: 'reply'; readonly rttSeconds: number }
  /** The kernel has ended the connection (an RST, an ICMP error, a FIN): libuv reports it next. */
  | { readonly kind: 'ended' };

export interface DeadlineView {
  readonly phase: 'connecting' | 'awaiting-reply';
  /** TCP_INFO read at the deadline; undefined when the kernel cannot be asked. */
  readonly info: TcpInfo | undefined;
  /** SIOCINQ at the deadline. */
  readonly bytesWaiting: number | undefined;
  /** Since connect(2) was issued (the handshake's end is told from it after a retransmitted SYN). */
  readonly elapsedSeconds: number;
  /** What the phase may take. */
  readonly budgetSeconds: number;
}

/**
 * The ping's deadline has come, perhaps late: what did the network do in time? Asked of the
 * kernel, so a stalled event loop never turns an answer that came in time into a loss. Pure.
 */
export function judgeDeadline(view: DeadlineView): DeadlineVerdict {
  const { info, phase, elapsedSeconds, budgetSeconds } = view;
  if (!info) return { kind: 'timeout' };
  if (phase === 'connecting') {
    if (info.state === TcpState.SYN_SENT) return { kind: 'timeout', synRetransmits: info.totalRetrans };
    if (info.state === TcpState.CLOSE) return { kind: 'ended' };
    const handshake = kernelHandshake(info, elapsedSeconds);
    return handshake.seconds <= budgetSeconds ? { kind: 'handshake', handshake } : { kind: 'timeout', synRetransmits: info.totalRetrans };
  }
  if ((view.bytesWaiting ?? 0) > 0) {
    const rttSeconds = kernelReplySeconds(info);
    return rttSeconds <= budgetSeconds ? { kind: 'reply', rttSeconds } : { kind: 'timeout' };
  }
  return info.state === TcpState.ESTABLISHED ? { kind: 'timeout' } : { kind: 'ended' };
}
