import type { IcmpReport, LossReason } from '../domain/ping.js';

/** Kernel-derived reasons that an ICMP error explains better; a reply-level loss (mismatch, closed) keeps its own. */
const explainable: ReadonlySet<LossReason> = new Set(['timeout', 'unreachable', 'refused', 'error']);

/**
 * The loss reason an ICMP error stands for. Port unreachable means the target host itself said no:
 * "refused", as a RST would. Every other unreachable code, and TTL / hop limit expiry, means the SYN
 * never reached the target: "unreachable" (the icmp_type/icmp_code labels tell them apart). A
 * parameter problem is "error". Packet Too Big and Fragmentation Needed are path-MTU signals that TCP
 * handles itself, so they leave the reason as it was.
 */
export function lossReasonWithIcmp(reason: LossReason, report: IcmpReport): LossReason {
  if (!explainable.has(reason)) return reason;
  const { family, type, code } = report;
  const unreachableType = family === 4 ? 3 : 1;
  const portCode = family === 4 ? 3 : 4;
  if (type === unreachableType) {
    if (code === portCode) return 'refused';
    if (family === 4 && code === 4) return reason;
    return 'unreachable';
  }
  if (type === (family === 4 ? 11 : 3)) return 'unreachable';
  if (type === (family === 4 ? 12 : 4)) return 'error';
  return reason;
}
