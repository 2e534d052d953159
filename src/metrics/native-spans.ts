/** Up to this many empty buckets in a row stay inside a span (as zero deltas), as client_golang does. */
export const MAX_GAP_IN_SPAN = 2;

/**
 * The spans of a native histogram's buckets: runs of populated buckets, with gaps of more than
 * MAX_GAP_IN_SPAN empty ones between runs. Kept as [from, to) positions in the counts, reused from
 * histogram to histogram.
 */
export class Spans {
  private bounds = new Int32Array(64);
  /** Number of spans found by the last find(). */
  count = 0;

  from(i: number): number {
    return this.bounds[2 * i] as number;
  }

  to(i: number): number {
    return this.bounds[2 * i + 1] as number;
  }

  /** The spans of counts[from] to counts[to - 1], as positions from `from`; returns how many. */
  find(counts: ArrayLike<number>, from = 0, to = counts.length): number {
    this.count = 0;
    let start = -1;
    let last = -1;
    for (let i = 0; i < to - from; i++) {
      if (counts[from + i] === 0) continue;
      if (start < 0) start = i;
      else if (i - last - 1 > MAX_GAP_IN_SPAN) {
        this.push(start, last + 1);
        start = i;
      }
      last = i;
    }
    if (start >= 0) this.push(start, last + 1);
    return this.count;
  }

  private push(from: number, to: number): void {
    if (2 * this.count + 2 > this.bounds.length) {
      const next = new Int32Array(this.bounds.length * 2);
      next.set(this.bounds);
      this.bounds = next;
    }
    this.bounds[2 * this.count] = from;
    this.bounds[2 * this.count + 1] = to;
    this.count++;
  }
}
