import type { Result } from '../util/result.js';
import type { ProbeMode } from './target.js';

/** Why a ping got no valid reply. A closed set: it is the `reason` label of the loss counter. */
export const lossReasons = ['timeout', 'refused', 'reset', 'closed', 'unreachable', 'mismatch', 'dns', 'error'] as const;
export type LossReason = (typeof lossReasons)[number];

/** One array per mode and lookup, shared by every target (each target kept its own: 88 bytes). */
const possibleByKey = new Map<string, readonly LossReason[]>();

/**
 * The reasons a target's pings can be lost for, in lossReasons' order: connect mode reads no reply
 * (never `closed` or `mismatch`), and a target at an IP address of the family it asks for is never
 * looked up (never `dns`).
 */
export function possibleLossReasons(mode: ProbeMode, neverLookedUp: boolean): readonly LossReason[] {
  const key = `${mode} ${neverLookedUp}`;
  let reasons = possibleByKey.get(key);
  if (reasons === undefined) {
    reasons = Object.freeze(
      lossReasons.filter((r) => !(mode === 'connect' && (r === 'closed' || r === 'mismatch')) && !(neverLookedUp && r === 'dns')),
    );
    possibleByKey.set(key, reasons);
  }
  return reasons;
}

/** An ICMP error about a ping: from the ping socket's error queue, or the ICMP capture's copy. */
export interface IcmpReport {
  readonly family: 4 | 6;
  readonly type: number;
  readonly code: number;
  /** The router or host that sent the error. */
  readonly reporter: string;
}

/**
 * Which clock a ping's figures and verdict came from: the kernel's record of the socket (TCP_INFO:
 * the handshake's RTT sample, when data came in, the SYNs it retransmitted), or the event loop
 * alone where the kernel cannot be asked (not Linux, koffi missing). Userland figures include
 * every delay of the event loop; kernel ones do not.
 */
export const timings = ['kernel', 'userland'] as const;
export type Timing = (typeof timings)[number];

/** What the kernel adds to a ping's outcome, on either side. */
export interface KernelFigures {
  /** SYNs the kernel retransmitted during this ping's handshake (tcpi_total_retrans); absent without kernel timing. */
  readonly synRetransmits?: number;
  readonly timing?: Timing;
  /**
   * How much later than the kernel's record the event loop got to this ping, when that was more
   * than 20 ms (a stall: a busy host, a long task, SIGSTOP). The figures and the verdict then come
   * from the kernel's record, not from when our callback ran.
   */
  readonly stalledSeconds?: number;
}

export interface Reply extends KernelFigures {
  readonly seq: number;
  readonly rttSeconds: number;
  /** Handshake time; absent when a kept connection was reused. */
  readonly connectSeconds?: number;
  /** The reply line as received (echo mode), without its newline. */
  readonly reply?: string;
}

export interface Loss extends KernelFigures {
  readonly seq: number;
  readonly reason: LossReason;
  /** Human-readable detail: errno and text, or what was wrong with the reply. */
  readonly detail: string;
  readonly errno?: string;
  readonly connectSeconds?: number;
  readonly icmp?: IcmpReport;
}

/**
 * Why an ICMP error is counted apart from the verdicts: `late`, it came after its ping had ended;
 * `unconfirmed`, it came while the ping was in flight but the kernel did not act on it for that
 * socket (a quoted sequence number out of the window, as in a forged error, or an error other
 * than the one the socket failed with). Either way it changed no verdict.
 */
export const unverifiedIcmpReasons = ['late', 'unconfirmed'] as const;
export type UnverifiedIcmpReason = (typeof unverifiedIcmpReasons)[number];

/** One ping's outcome: a reply, or a loss and why. */
export type PingResult = Result<Reply, Loss>;

/** The fields both outcomes carry. */
export function pingOf(result: PingResult): Reply | Loss {
  return result.ok ? result.value : result.error;
}

/** `icmp.capture`: auto (when permitted), on (refuse to start without it), off. */
export const captureModes = ['auto', 'on', 'off'] as const;
export type CaptureMode = (typeof captureModes)[number];
