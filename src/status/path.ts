import { answersStopAt, type PathReport, type PathTrace, reached, type TraceTrigger } from '../domain/path.js';

/** A target's last traced path, as the API and the page show it. */
export interface PathStatus extends PathTrace {
  readonly trigger: TraceTrigger;
  /** Whether the destination answered (SYN-ACK or RST). */
  readonly reached: boolean;
  /** The last hop that answered when the destination did not: where the probes are lost. */
  readonly answersStopAt: { readonly hop: number; readonly address: string | null } | null;
  /** The hops where another router answered than in the trace before (see PathReport); null: nothing to compare with. */
  readonly changedHops: readonly number[] | null;
}

/** The PathStatus of a trace the service reported. Pure. */
export function pathStatus({ trace, trigger, changedHops }: PathReport): PathStatus {
  const stop = answersStopAt(trace);
  return { ...trace, trigger, reached: reached(trace), answersStopAt: stop ? { hop: stop.hop, address: stop.address } : null, changedHops };
}
