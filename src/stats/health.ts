import type { RoundSummary } from './round-summary.js';

/**
 * A target's state after its last round, as the status page, the API and the log say it:
 * `down` when no ping of the round got a reply, `degraded` when more than its degradedLossRatio
 * was lost, `up` otherwise; `pending` before its first round. Like the TcppingHighLoss alert
 * (raise above 10%, clear below 5%), a degraded target is up again only once a round loses half
 * the ratio or less: a loss hovering around the ratio does not flap between the two.
 */
export const targetStates = ['pending', 'up', 'degraded', 'down'] as const;
export type TargetState = (typeof targetStates)[number];

export function stateOfRound(
  summary: Pick<RoundSummary, 'sent' | 'received' | 'lossRatio'> | null,
  degradedLossRatio: number,
  previous: TargetState = 'pending',
): TargetState {
  if (summary === null) return 'pending';
  if (summary.received === 0) return 'down';
  const limit = previous === 'degraded' ? degradedLossRatio / 2 : degradedLossRatio;
  return summary.lossRatio > limit ? 'degraded' : 'up';
}
