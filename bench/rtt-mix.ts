import type { SchedulerObserver } from '../src/scheduler/scheduler.js';
import { summarizeRound } from '../src/stats/round-summary.js';
import { prng } from '../test/helpers/prng.js';

/**
 * RTTs to fill the histograms of 1,000 targets before a scrape is timed, so their native buckets
 * are as many as a real hour gives: a mix of loopback, LAN, WAN and mesh targets, or the worst case
 * (every histogram spread from 50 µs to 30 s: 308 buckets at schema 4, so all halve to schema 3).
 */
const random = prng(42);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const uniform = (a: number, b: number) => a + (b - a) * random();
const exponential = (mean: number) => -mean * Math.log(1 - random());
const lognormal = (median: number, sigma: number) => median * Math.exp(sigma * normal());

const kinds = {
  loopback: () => (random() < 0.005 ? uniform(0.0002, 0.002) : 50e-6 + exponential(20e-6)),
  lan: () => lognormal(0.0004, 0.3),
  wan: () => lognormal(0.3, 0.05) + exponential(0.005),
  // 40 ms with a long tail; 2% slow, 1% retransmitted handshakes at 1 s and 3 s.
  mesh: () => {
    const u = random();
    const base = lognormal(0.04, 0.4);
    if (u < 0.008) return 1 + base;
    if (u < 0.01) return 3 + base;
    if (u < 0.03) return uniform(0.1, 0.3);
    return base;
  },
  worst: () => 50e-6 * (30 / 50e-6) ** random(),
};

/** Mostly mesh and WAN targets, some loopback and LAN: the RTT generator of target i. */
const realistic = [kinds.lan, kinds.loopback, kinds.wan, kinds.mesh, kinds.mesh, kinds.mesh, kinds.mesh, kinds.lan, kinds.lan, kinds.wan];

export type Mix = 'realistic' | 'worst';

function rttOf(mix: Mix, target: number): () => number {
  return mix === 'worst' ? kinds.worst : (realistic[target % realistic.length] as () => number);
}

/** Pings per round: the service's default `count`. */
const ROUND = 20;

/**
 * `count` pings for each of the targets target-0 … target-(targets-1), through the metrics' own
 * observer, as the scheduler reports them: each started (sent), 1 in 500 lost to a timeout, the
 * rest answered with an RTT from the target's mix, and a round summarised every ROUND pings. So
 * sent, lost, the round's gauges and up carry values as in a real hour, and the diagnostics stay 0
 * as most targets have them (a counter or gauge at 0 is 9 bytes shorter in protobuf: filling the
 * histograms alone made the body 0.6 MB too small at 10,000 targets).
 */
export function fillPings(observer: SchedulerObserver | undefined, targets: number, mix: Mix, count: number): void {
  for (let i = 0; i < targets; i++) {
    const name = `target-${i}`;
    const rtt = rttOf(mix, i);
    let rtts: number[] = [];
    for (let seq = 0; seq < count; seq++) {
      observer?.pingStarted?.(name, 0);
      if (random() < 0.002) {
        observer?.pingFinished?.(name, { ok: false, error: { seq, reason: 'timeout', detail: 'no reply within 1000 ms' } });
      } else {
        const rttSeconds = rtt();
        rtts.push(rttSeconds);
        observer?.pingFinished?.(name, { ok: true, value: { seq, rttSeconds, connectSeconds: rttSeconds * 0.97 } });
      }
      if ((seq + 1) % ROUND === 0 || seq === count - 1) {
        observer?.roundFinished?.(name, summarizeRound((seq % ROUND) + 1, rtts), []);
        rtts = [];
      }
    }
  }
}
