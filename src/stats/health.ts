import type { RoundSummary } from './round-summary.js';

/**
 * A target's state after its last round, as the status page, the API and the log say it:
 * `down` when no ping of the round got a reply, `degraded` when more than its degradedLossRatio
 * was lost, `up` otherwise; `pending` before its first round.
 */
export const targetStates = ['pending', 'up', 'degraded', 'down'] as const;
export type TargetState = (typeof targetStates)[number];

export function stateOfRound(
  summary: Pick<RoundSummary, 'sent' | 'received' | 'lossRatio'> | null,
  degradedLossRatio: number,
): TargetState {
  if (summary === null) return 'pending';
  if (summary.received === 0) return 'down';
  return summary.lossRatio > degradedLossRatio ? 'degraded' : 'up';
}
