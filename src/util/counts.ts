/**
 * `n` zeros in a plain array, for what a target keeps for as long as it runs: its histograms'
 * counts, its losses', its status history. V8 keeps such numbers in the array itself, on its own
 * heap. A typed array is an ArrayBuffer besides, with memory of its own that V8 tracks apart and
 * frees after a collection finds it dead: at 10,000 targets about 60,000 of them, swept at every
 * collection and freed by the tens of thousands when a reload replaced the targets (README,
 * "Every core": the pings a reload held, measured both ways).
 */
export function zeroCounts(n: number): number[] {
  // Made at its length, not pushed to it: growing would leave a copy behind at each step.
  return new Array<number>(n).fill(0);
}

/**
 * The same, kept as doubles from the start: the first fraction written into an array of small
 * integers makes V8 copy it into one of doubles (the status history's times would be made twice).
 */
export function zeroDoubles(n: number): number[] {
  return new Array<number>(n).fill(0.5).fill(0);
}
