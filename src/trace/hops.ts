import type { HopAnswer, PathHop, ProbeOutcome } from '../domain/path.js';
import type { IcmpReport } from '../domain/ping.js';

type Answered = Extract<ProbeOutcome, { from: string }>;
const answered = (o: ProbeOutcome): o is Answered => 'from' in o;

/**
 * One hop's probes as a line of the report: who answered (the most frequent address, the first
 * on a tie; every address seen), how many of the probes, their RTTs, and what the answer was.
 * A probe that could not be sent (`error`) is not counted as sent. Pure.
 */
export function summarizeHop(hop: number, outcomes: readonly ProbeOutcome[]): PathHop {
  const sent = outcomes.filter((o) => o.answer !== 'error').length;
  const answers = outcomes.filter(answered);
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.from, (counts.get(a.from) ?? 0) + 1);
  let address: string | null = null;
  for (const [candidate, n] of counts) if (address === null || n > (counts.get(address) ?? 0)) address = candidate;
  const mine = answers.filter((a) => a.from === address);
  const first = mine[0];
  const rtts = answers.map((a) => a.rttSeconds);
  const icmp: IcmpReport | undefined = first && 'icmp' in first ? first.icmp : undefined;
  return {
    hop,
    address,
    addresses: [...counts.keys()],
    sent,
    received: answers.length,
    rtt: rtts.length === 0 ? null : { min: Math.min(...rtts), avg: rtts.reduce((a, b) => a + b, 0) / rtts.length, max: Math.max(...rtts) },
    answer: (first?.answer ?? null) as HopAnswer | null,
    ...(icmp ? { icmp } : {}),
  };
}

/** The destination's answer among a hop's probes (SYN-ACK or RST), if any probe got one. */
export function destinationAnswer(outcomes: readonly ProbeOutcome[]): 'syn-ack' | 'reset' | undefined {
  const hit = outcomes.find((o) => o.answer === 'syn-ack' || o.answer === 'reset');
  return hit?.answer as 'syn-ack' | 'reset' | undefined;
}
