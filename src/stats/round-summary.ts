/**
 * Round statistics as iputils ping prints them. Pure, shared by the service and the CLI client.
 * mdev is ping's: sqrt(mean(rtt²) - mean(rtt)²), the population standard deviation.
 */
export interface RoundSummary {
  readonly sent: number;
  readonly received: number;
  /** 0..1; 0 when nothing was sent. */
  readonly lossRatio: number;
  /** Seconds; all null when nothing was received. */
  readonly rtt: {
    readonly min: number | null;
    readonly avg: number | null;
    readonly max: number | null;
    readonly mdev: number | null;
  };
}

export function summarizeRound(sent: number, rttsSeconds: readonly number[]): RoundSummary {
  const received = rttsSeconds.length;
  const lossRatio = sent === 0 ? 0 : (sent - received) / sent;
  if (received === 0) {
    return { sent, received, lossRatio, rtt: { min: null, avg: null, max: null, mdev: null } };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let sumSquares = 0;
  for (const rtt of rttsSeconds) {
    if (rtt < min) min = rtt;
    if (rtt > max) max = rtt;
    sum += rtt;
    sumSquares += rtt * rtt;
  }
  const avg = sum / received;
  // Rounding can make the difference slightly negative for identical samples.
  const mdev = Math.sqrt(Math.max(0, sumSquares / received - avg * avg));
  return { sent, received, lossRatio, rtt: { min, avg, max, mdev } };
}
