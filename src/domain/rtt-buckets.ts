import type { Check } from '../util/checks.js';
import { err, ok } from '../util/result.js';

/** Mantissas × 10^k for every k, kept within [fromSeconds, toSeconds]; rounded to 12 digits so `le` labels print cleanly. */
export function decadeBuckets(mantissas: readonly number[], fromSeconds: number, toSeconds: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(fromSeconds)) - 1; e <= Math.ceil(Math.log10(toSeconds)); e++) {
    for (const m of mantissas) {
      const bound = Number((m * 10 ** e).toPrecision(12));
      if (bound >= fromSeconds * (1 - 1e-9) && bound <= toSeconds * (1 + 1e-9)) out.push(bound);
    }
  }
  return out;
}

/**
 * The classic buckets of tcpping_rtt_seconds and tcpping_connect_seconds: 1, 1.5, 2.5, 3.5, 5, 7
 * per decade from 25 µs (loopback) to 25 s (a handshake retransmitted at 1, 3, 7 and 15 s). Every
 * bound of the first layout (1, 2.5, 5 per decade, 100 µs to 10 s) stays, so `le` selections
 * written for it keep working. Neighbours are ×1.4 to ×1.67 apart: a classic quantile lies in the
 * bucket of the true one, so it is off by at most that bucket's width (40–67% of its lower bound).
 */
export const DEFAULT_RTT_BUCKETS_SECONDS: readonly number[] = decadeBuckets([1, 1.5, 2.5, 3.5, 5, 7], 25e-6, 25);

/** Each bound is a series per histogram and target: 2,000 series per bound at 1,000 targets. */
export const MAX_RTT_BUCKETS = 100;

/** A classic bucket layout: 1 to MAX_RTT_BUCKETS finite upper bounds in seconds, > 0, strictly increasing (+Inf is implied). */
export const rttBuckets: Check<readonly number[]> = (value) => {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RTT_BUCKETS) {
    return err(`must be a list of 1 to ${MAX_RTT_BUCKETS} bucket upper bounds in seconds`);
  }
  for (const [i, bound] of value.entries()) {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) return err(`bound ${i + 1} (${bound}) is not a number > 0`);
    if (i > 0 && bound <= value[i - 1]) return err(`bounds must increase: ${value[i - 1]} then ${bound}`);
  }
  return ok(value as number[]);
};
