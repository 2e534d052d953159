import type { PingResult } from '../domain/ping.js';
import type { Target } from '../domain/target.js';
import { stateOfRound, type TargetState } from '../stats/health.js';
import type { RoundSummary } from '../stats/round-summary.js';
import type { Logger } from '../util/log.js';
import type { SchedulerObserver } from './scheduler.js';

/** Why a round lost pings: each reason's count, and the last loss's own words. */
function lossReasons(results: readonly PingResult[]): { reasons: Record<string, number>; last?: string } {
  const reasons: Record<string, number> = {};
  let last: string | undefined;
  for (const r of results) {
    if (r.ok) continue;
    reasons[r.error.reason] = (reasons[r.error.reason] ?? 0) + 1;
    const icmp = r.error.icmp ? ` (ICMP type ${r.error.icmp.type} code ${r.error.icmp.code} from ${r.error.icmp.reporter})` : '';
    last = `${r.error.reason}: ${r.error.detail}${icmp}`;
  }
  return last === undefined ? { reasons } : { reasons, last };
}

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

/**
 * One log line when a target's state changes after a round: down (no reply), degraded (more than
 * its degradedLossRatio lost) or recovered (up again), with the round's loss and its reasons. A
 * target's first round logs only when it is not up; steady states log nothing.
 */
export function transitionObserver(log: Logger): SchedulerObserver {
  const targets = new Map<string, { threshold: number; state: TargetState }>();
  const track = (target: Target) => {
    const known = targets.get(target.name);
    targets.set(target.name, { threshold: target.degradedLossRatio, state: known?.state ?? 'pending' });
  };
  return {
    targetAdded: track,
    targetChanged: track,
    targetRemoved: (name) => targets.delete(name),
    roundFinished: (name, summary: RoundSummary, results) => {
      const entry = targets.get(name);
      if (!entry) return;
      const previous = entry.state;
      const state = stateOfRound(summary, entry.threshold, previous);
      entry.state = state;
      if (state === previous || (previous === 'pending' && state === 'up')) return;
      const { sent, received, lossRatio } = summary;
      const { reasons, last } = lossReasons(results);
      const fields = { target: name, state, previous, lossRatio, sent, received, reasons, ...(last ? { lastLoss: last } : {}) };
      const lost = `${sent - received} of ${sent} lost (${percent(lossRatio)})`;
      if (state === 'down') log.error(fields, `target down: ${name}: ${lost}; last: ${last}`);
      else if (state === 'degraded') log.warn(fields, `target degraded: ${name}: ${lost}, over ${percent(entry.threshold)}; last: ${last}`);
      else log.info(fields, `target recovered: ${name}: ${lost}, was ${previous}`);
    },
  };
}
