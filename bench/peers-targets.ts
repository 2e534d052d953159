/**
 * What the peers benchmark's processes share: where target i lives, and how a prober's counters
 * are read out of a Prometheus text exposition.
 */

/**
 * Target i's address. Inside the benchmark's own network namespace every target has an address of
 * its own in 127.0.0.0/8 (all of it is local on `lo`), so an ICMP prober pings distinct hosts and
 * the TCP target server, bound to 0.0.0.0 there, answers all of them on one port. Outside a
 * namespace (not root) every target is 127.0.0.1: nothing is bound beyond loopback.
 */
export function peerAddress(i: number, isolated: boolean): string {
  if (!isolated) return '127.0.0.1';
  return `127.20.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** The sum of every sample of the named metrics (`name{...} value` or `name value`) in a text exposition. */
export function sumSamples(text: string, names: readonly string[]): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const end = line.search(/[{ ]/);
    if (end <= 0) continue;
    const name = line.slice(0, end);
    if (!(name in sums)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sums[name] = (sums[name] as number) + value;
  }
  return sums;
}

/** Calls `fn(i)` for each of `count` targets once per `intervalMs`, spread evenly over the interval, on a drift-free timer chain. */
export function everyInterval(count: number, intervalMs: number, fn: (i: number) => void): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const arm = (i: number, atMs: number) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (stopped) return;
        fn(i);
        arm(i, atMs + intervalMs);
      },
      Math.max(0, atMs - performance.now()),
    );
    timers.add(timer);
  };
  const now = performance.now();
  for (let i = 0; i < count; i++) arm(i, now + (i * intervalMs) / count);
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  };
}
