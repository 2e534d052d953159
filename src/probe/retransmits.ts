/**
 * Linux retransmits an unanswered SYN after its initial RTO of 1 s, then doubles it: the copies go
 * out at 1 s, 3 s, 7 s, 15 s after the first. A handshake that completes that late lost its first
 * SYN (or its SYN-ACK) even though the connect "succeeded": loss that TCP hid. The handshake time
 * itself is the only trace left, so the count is estimated from it.
 */
const SYN_RETRANSMIT_AT_SECONDS = [1, 3, 7, 15, 31, 63] as const;

/** Timer slack: a retransmission can complete a few milliseconds before its nominal time. */
const SLACK_SECONDS = 0.02;

/** How many SYN retransmissions a handshake of this duration took (0 for an ordinary one). */
export function estimateSynRetransmits(connectSeconds: number): number {
  let count = 0;
  for (const at of SYN_RETRANSMIT_AT_SECONDS) {
    if (connectSeconds + SLACK_SECONDS >= at) count++;
  }
  return count;
}
