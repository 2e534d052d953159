import type { PingResult } from '../domain/ping.js';
import type { Target } from '../domain/target.js';
import { closeKept } from '../probe/echo.js';
import type { KeptConnection, ProbeContext, ProbeRequest, Prober, UnverifiedIcmpListener } from '../probe/types.js';
import { type RoundSummary, summarizeRound } from '../stats/round-summary.js';
import type { AbortWatch } from '../util/abort-relay.js';
import type { Clock } from '../util/clock.js';
import { err } from '../util/result.js';
import { type Resolution, type Resolver, resolveHost, resolveLiteral, systemResolver } from './resolve.js';

/** What one round needs to know about its target (the CLI client has no name or round interval). */
export type RoundSpec = Pick<Target, 'host' | 'port' | 'mode' | 'count' | 'pingIntervalMs' | 'timeoutMs' | 'reuseConnection'> &
  Partial<Pick<Target, 'family'>>;

export interface RoundHooks {
  /** `lagSeconds`: how late the ping started against its planned time. */
  pingStarted?(seq: number, lagSeconds: number): void;
  pingFinished?(result: PingResult): void;
  /**
   * An ICMP error about ping `seq` that changed no verdict (late ones may come after the round
   * ended too). Called unbound, and kept by the ICMP capture while an ended ping lingers: make it once.
   */
  unverifiedIcmp?: UnverifiedIcmpListener;
  /** The address this round pings (after name resolution). */
  resolved?(address: string): void;
}

export interface RoundDeps {
  readonly clock: Clock;
  readonly probers: Record<Target['mode'], Prober>;
  readonly probeContext: ProbeContext;
  readonly resolver?: Resolver;
}

export interface RoundOutcome {
  /** False when the round was stopped before all its pings were sent. */
  readonly complete: boolean;
  readonly results: readonly PingResult[];
  readonly summary: RoundSummary;
}

/**
 * Sends `count` pings one after another, like ping: each ping starts `pingIntervalMs` after the
 * previous one started, and never before it ended. After a slow ping (a timeout) the cadence
 * starts again from that ping, as ping keeps its interval: the pings it held up are not sent in a
 * burst to catch up. Shared by the service's scheduler and the CLI client.
 * `stopping` ends the round after the ping in flight; `signal` aborts that ping too.
 */
export async function runRound(
  spec: RoundSpec,
  deps: RoundDeps,
  hooks: RoundHooks,
  control: { plannedStartMs: number; stopping?: AbortWatch; signal?: AbortWatch },
): Promise<RoundOutcome> {
  const { clock } = deps;
  const prober = deps.probers[spec.mode];
  const kept: KeptConnection | undefined = spec.reuseConnection && spec.mode === 'echo' ? {} : undefined;
  const results: PingResult[] = [];
  const rtts: number[] = [];
  const resolvingSince = clock.nowMs();
  const family = spec.family ?? 'auto';
  const resolution =
    resolveLiteral(spec.host, family) ?? (await resolveHost(spec.host, family, deps.resolver ?? systemResolver, clock, spec.timeoutMs));
  if (resolution.ok) hooks.resolved?.(resolution.value);
  // Time spent resolving is the network's, not the scheduler's lateness.
  const plannedStartMs = control.plannedStartMs + (clock.nowMs() - resolvingSince);
  let plannedMs = plannedStartMs;
  try {
    for (let seq = 1; seq <= spec.count; seq++) {
      if (seq > 1) {
        plannedMs = Math.max(plannedMs + spec.pingIntervalMs, clock.nowMs());
        if (!(await sleepUntil(clock, plannedMs, control.stopping))) break;
      }
      if (control.stopping?.aborted) break;
      hooks.pingStarted?.(seq, Math.max(0, clock.nowMs() - plannedMs) / 1000);
      const result = resolution.ok
        ? await prober(request(spec, resolution.value, seq, control.signal, kept, hooks), deps.probeContext)
        : dnsLoss(seq, resolution);
      results.push(result);
      if (result.ok) rtts.push(result.value.rttSeconds);
      hooks.pingFinished?.(result);
    }
  } finally {
    if (kept) closeKept(kept);
  }
  return { complete: results.length === spec.count, results, summary: summarizeRound(results.length, rtts) };
}

/** One ping's request, in one shape whatever the hooks (made per ping: no spread, no object thrown away). */
function request(
  spec: RoundSpec,
  host: string,
  seq: number,
  signal: AbortWatch | undefined,
  kept: KeptConnection | undefined,
  hooks: RoundHooks,
): ProbeRequest {
  return {
    host,
    port: spec.port,
    seq,
    timeoutMs: spec.timeoutMs,
    signal,
    kept,
    // The hook itself, not a closure over `seq` per ping: an ended ping's listener is kept while it lingers.
    onUnverifiedIcmp: hooks.unverifiedIcmp,
  };
}

/** A round whose name did not resolve loses each of its pings as `dns`, without touching the network. */
function dnsLoss(seq: number, failure: Extract<Resolution, { ok: false }>): PingResult {
  const { detail, errno } = failure.error;
  return err({ seq, reason: 'dns', detail, ...(errno ? { errno } : {}) });
}

/** Resolves true at `atMs` on the clock, or false as soon as `stopping` fires. */
export function sleepUntil(clock: Clock, atMs: number, stopping?: AbortWatch): Promise<boolean> {
  if (stopping?.aborted) return Promise.resolve(false);
  const waitMs = atMs - clock.nowMs();
  if (waitMs <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onStop = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      stopping?.removeEventListener('abort', onStop);
      resolve(true);
    }, waitMs);
    stopping?.addEventListener('abort', onStop, { once: true });
  });
}
