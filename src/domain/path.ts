import type { IcmpReport } from './ping.js';

/**
 * What answered a probe of a trace: a router's ICMP time exceeded (the probe's TTL ran out there),
 * an ICMP destination unreachable (a router or host refused it), or the destination's own SYN-ACK
 * (port open) or RST (port closed). A probe nothing answered in time is `*`.
 */
export const hopAnswers = ['time-exceeded', 'unreachable', 'syn-ack', 'reset'] as const;
export type HopAnswer = (typeof hopAnswers)[number];

/** One probe's outcome. `error`: the probe could not be sent (a bind, a local route). */
export type ProbeOutcome =
  | { readonly answer: 'time-exceeded' | 'unreachable'; readonly from: string; readonly rttSeconds: number; readonly icmp: IcmpReport }
  | { readonly answer: 'syn-ack' | 'reset'; readonly from: string; readonly rttSeconds: number }
  | { readonly answer: 'none' }
  | { readonly answer: 'error'; readonly detail: string; readonly errno?: string };

/** One hop of a trace (one TTL), its probes summed up as a line of `mtr --report`. */
export interface PathHop {
  readonly hop: number;
  /** The address that answered most often (the first on a tie); null when nothing answered (`*`). */
  readonly address: string | null;
  /** Every address that answered at this hop; more than one means the probes did not all take one path. */
  readonly addresses: readonly string[];
  readonly sent: number;
  readonly received: number;
  /** Seconds; null when nothing answered. */
  readonly rtt: { readonly min: number; readonly avg: number; readonly max: number } | null;
  /** What the answering address said; null when nothing answered. */
  readonly answer: HopAnswer | null;
  /** The ICMP error of that answer (time exceeded, destination unreachable), with its type and code. */
  readonly icmp?: IcmpReport;
}

/**
 * How a trace ended: the destination answered (`syn-ack`, `reset`), a router or host refused the
 * probes (`unreachable`), several hops in a row answered nothing (`silence`), the hop limit was
 * reached (`max-hops`), or a probe could not be sent (`error`).
 */
export const traceEnds = ['syn-ack', 'reset', 'unreachable', 'silence', 'max-hops', 'error'] as const;
export type TraceEnd = (typeof traceEnds)[number];

export interface PathTrace {
  /** The destination, an IP address, and its port. */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Every probe left from this port: one five-tuple, one path through equal-cost multipath. */
  readonly sourcePort: number;
  readonly hops: readonly PathHop[];
  readonly end: TraceEnd;
  /** Why a probe could not be sent, when `end` is `error`. */
  readonly error?: string;
  /** Unix seconds. */
  readonly startedAt: number;
  readonly durationSeconds: number;
}

/** Whether the destination itself answered (SYN-ACK or RST). */
export const reached = (trace: Pick<PathTrace, 'end'>): boolean => trace.end === 'syn-ack' || trace.end === 'reset';

/** The last hop that answered: the destination when it did, else where answers stop. */
export function lastAnswer(trace: Pick<PathTrace, 'hops'>): PathHop | undefined {
  return trace.hops.findLast((hop) => hop.received > 0);
}

/**
 * Where answers stop: the last hop that answered, when the destination did not. Hops after it
 * answered nothing; a silent hop before it is only a router that sends no time exceeded, not
 * where probes are lost. Undefined when the destination answered, or no hop did.
 */
export function answersStopAt(trace: Pick<PathTrace, 'end' | 'hops'>): PathHop | undefined {
  return reached(trace) ? undefined : lastAnswer(trace);
}

/** Why the service traced a target: its pings began to be lost, it recovered, or its turn every N rounds came. */
export const traceTriggers = ['loss', 'recovery', 'periodic'] as const;
export type TraceTrigger = (typeof traceTriggers)[number];

/** A trace the service ran for a target, compared with the one before it. */
export interface PathReport {
  readonly trace: PathTrace;
  readonly trigger: TraceTrigger;
  /**
   * The hops at which a different router answered than in the target's previous trace of the
   * same flow (both answered, with no address in common); empty when nothing changed. Null when
   * there is nothing to compare with: the target's first trace, or a flow on a new source port.
   */
  readonly changedHops: readonly number[] | null;
}
