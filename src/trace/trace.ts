import type { PathHop, PathTrace, ProbeOutcome, TraceEnd } from '../domain/path.js';
import type { Clock, Random } from '../util/clock.js';
import { destinationAnswer, summarizeHop } from './hops.js';
import { chooseSourcePort } from './port.js';
import type { HopProber } from './probe.js';

export interface TraceSettings {
  readonly maxHops: number;
  readonly probesPerHop: number;
  readonly probeTimeoutMs: number;
  /** Stop after this many hops in a row that answered nothing. */
  readonly maxSilentHops: number;
}

export interface TraceRequest extends TraceSettings {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** The flow's source port; absent: one is chosen outside the ephemeral range. */
  readonly sourcePort?: number;
  /** With a given source port: fail rather than move to another when it is taken. */
  readonly fixedSourcePort?: boolean;
  readonly signal?: AbortSignal;
}

export interface TraceDeps {
  readonly probe: HopProber;
  readonly clock: Clock;
  readonly random: Random;
  /** The ports connect(2) picks from, which the flow's port stays out of. */
  readonly ephemeralPorts?: readonly [number, number];
  /** Each hop as soon as its probes are done (the CLI prints it then). */
  readonly onHop?: (hop: PathHop) => void;
}

/** How often a taken source port is replaced by another before the trace gives up. */
const PORT_TRIES = 8;

/**
 * The longest a trace can take: every hop probed, every probe unanswered. A trace whose answers
 * stop at hop k takes about (k + maxSilentHops) × probesPerHop × probeTimeoutMs.
 */
export const traceBoundMs = (s: TraceSettings): number => s.maxHops * s.probesPerHop * s.probeTimeoutMs;

/**
 * A TCP SYN traceroute of one flow: hop by hop (TTL 1, 2, ...), `probesPerHop` probes each, one
 * after the other from the same source port, so the five-tuple never changes and every probe of
 * the trace takes the path equal-cost multipath hashes that flow onto (the Paris-traceroute
 * idea). Two probes of one flow cannot be in flight at once (one four-tuple, one socket), so a
 * trace is sequential. It ends when the destination answers (SYN-ACK, RST), a router or host
 * refuses (destination unreachable), `maxSilentHops` hops in a row answer nothing, or at `maxHops`.
 */
export async function runTrace(request: TraceRequest, deps: TraceDeps): Promise<PathTrace> {
  const { clock } = deps;
  const startedAt = clock.wallSeconds();
  const startedMs = clock.nowMs();
  let sourcePort = request.sourcePort ?? chooseSourcePort(deps.random, deps.ephemeralPorts);
  const hops: PathHop[] = [];
  let end: TraceEnd = 'max-hops';
  let error: string | undefined;
  let silent = 0;
  let portTries = 0;
  for (let ttl = 1; ttl <= request.maxHops; ttl++) {
    const outcomes: ProbeOutcome[] = [];
    while (outcomes.length < request.probesPerHop) {
      const { address, port, family, probeTimeoutMs: timeoutMs, signal } = request;
      const outcome = await deps.probe({ address, port, family, hops: ttl, sourcePort, timeoutMs, ...(signal ? { signal } : {}) });
      // Only the first probe can find its port taken (later ones bind what the first one bound).
      if (outcome.answer === 'error' && outcome.errno === 'EADDRINUSE' && hops.length === 0 && outcomes.length === 0) {
        if (!request.fixedSourcePort && ++portTries < PORT_TRIES) {
          sourcePort = chooseSourcePort(deps.random, deps.ephemeralPorts);
          continue;
        }
      }
      outcomes.push(outcome);
      if (outcome.answer === 'error') {
        end = 'error';
        error = outcome.detail;
        break;
      }
    }
    const hop = summarizeHop(ttl, outcomes);
    if (hop.sent > 0 || end !== 'error') {
      hops.push(hop);
      deps.onHop?.(hop);
    }
    if (end === 'error') break;
    const arrived = destinationAnswer(outcomes);
    if (arrived) {
      end = arrived;
      break;
    }
    if (outcomes.some((o) => o.answer === 'unreachable')) {
      end = 'unreachable';
      break;
    }
    silent = hop.received === 0 ? silent + 1 : 0;
    if (silent >= request.maxSilentHops) {
      end = 'silence';
      break;
    }
  }
  return {
    address: request.address,
    port: request.port,
    family: request.family,
    sourcePort,
    hops,
    end,
    ...(error === undefined ? {} : { error }),
    startedAt,
    durationSeconds: (clock.nowMs() - startedMs) / 1000,
  };
}
