import type { TraceTrigger } from '../domain/path.js';
import type { TargetState } from '../stats/health.js';

export interface TriggerSettings {
  /** Trace when the pings begin to be lost and when they recover. */
  readonly onLoss: boolean;
  /** Trace on the first round and every this many rounds after; 0: never. */
  readonly everyRounds: number;
}

const losing = (state: TargetState) => state === 'degraded' || state === 'down';

/**
 * Whether the round that took a target from `previous` to `next` (its `round`th) calls for a
 * trace, and why: loss began (up or pending → degraded or down), loss ended (→ up), or its turn
 * came. A target that stays lossy is not traced again for it: the trace at the onset stands. Pure.
 */
export function traceTrigger(previous: TargetState, next: TargetState, round: number, s: TriggerSettings): TraceTrigger | undefined {
  if (s.onLoss && losing(next) && !losing(previous)) return 'loss';
  if (s.onLoss && next === 'up' && losing(previous)) return 'recovery';
  if (s.everyRounds > 0 && (round - 1) % s.everyRounds === 0) return 'periodic';
  return undefined;
}

/** Which of two reasons to trace one target is served: loss and recovery before a periodic turn, else the newer. */
export function strongerTrigger(pending: TraceTrigger | undefined, next: TraceTrigger): TraceTrigger {
  return pending !== undefined && pending !== 'periodic' && next === 'periodic' ? pending : next;
}
