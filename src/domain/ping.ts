import type { Result } from '../util/result.js';

/** Why a ping got no valid reply. A closed set: it is the `reason` label of the loss counter. */
export const lossReasons = ['timeout', 'refused', 'reset', 'closed', 'unreachable', 'mismatch', 'dns', 'error'] as const;
export type LossReason = (typeof lossReasons)[number];

/** An ICMP error matched to a ping (filled in by the ICMP capture). */
export interface IcmpReport {
  readonly family: 4 | 6;
  readonly type: number;
  readonly code: number;
  /** The router or host that sent the error. */
  readonly reporter: string;
}

export interface Reply {
  readonly seq: number;
  readonly rttSeconds: number;
  /** Handshake time; absent when a kept connection was reused. */
  readonly connectSeconds?: number;
  /** The reply line as received (echo mode), without its newline. */
  readonly reply?: string;
}

export interface Loss {
  readonly seq: number;
  readonly reason: LossReason;
  /** Human-readable detail: errno and text, or what was wrong with the reply. */
  readonly detail: string;
  readonly errno?: string;
  readonly connectSeconds?: number;
  readonly icmp?: IcmpReport;
}

/** One ping's outcome: a reply, or a loss and why. */
export type PingResult = Result<Reply, Loss>;

/** The fields both outcomes carry. */
export function pingOf(result: PingResult): Reply | Loss {
  return result.ok ? result.value : result.error;
}

/** `icmp.capture`: auto (when permitted), on (refuse to start without it), off. */
export const captureModes = ['auto', 'on', 'off'] as const;
export type CaptureMode = (typeof captureModes)[number];
