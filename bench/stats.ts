/** Order statistics for benchmark samples. Medians everywhere: the machine is shared and noisy. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The middle value; the mean of the two middle ones for an even count (2 passes, 10 repetitions). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Spread {
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
}

export function spread(samples: readonly number[]): Spread {
  return { p50: median(samples), p99: percentile(samples, 99), n: samples.length };
}

/** Median over repetitions of the per-repetition ratio ours/floor: pairs each figure with the floor measured next to it. */
export function pairedRatio(ours: readonly number[], floor: readonly number[]): number {
  return median(ours.map((value, i) => value / (floor[i] as number)));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A reload's pings are watched this long from its start (and at least 100 ms past its end), in
 * tcpping and in the bare loop alike, and so is the quiet stretch each is compared with. The new
 * state a reload makes is copied out of the young generation by the collections that come after
 * it: over 100 ms past a reload of 11 ms (the bare loop making 0.4 kB a target) they were not
 * seen, and a lighter target read 3.2 ms where over 1 s it read 8.1, as a heavier one (README,
 * "Every core"). A window of the reload's own length also made tcpping's (300–500 ms) longer
 * than the bare loop's (about 100 ms), and a longer window holds more of the host's own stalls.
 */
export const RELOAD_WINDOW_MS = 1000;

export const nsToUs = (ns: bigint): number => Number(ns) / 1000;

/** Rotates a list so that repetition `rep` starts with a different variant (interleaving). */
export function rotated<T>(items: readonly T[], rep: number): T[] {
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The largest value (a spread of a long array would overflow the stack); 0 for none. */
export function largest(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

/** Pings' lags (ms) over a stretch: the latest, the p99 (0 for none) and how many. */
export function lagSummary(lags: readonly number[]): { maxPingLagMs: number; p99PingLagMs: number; pings: number } {
  return { maxPingLagMs: largest(lags), p99PingLagMs: lags.length > 0 ? percentile(lags, 99) : 0, pings: lags.length };
}
