import { answersStopAt, reached } from '../domain/path.js';
import type { Logger } from '../util/log.js';
import type { LogSummary } from '../util/log-summary.js';
import type { SchedulerObserver } from './scheduler.js';

/** Every event of the observer, so that forwarding can never miss one that is added later. */
const events = {
  targetAdded: true,
  targetChanged: true,
  targetRemoved: true,
  pingStarted: true,
  pingFinished: true,
  unverifiedIcmp: true,
  roundFinished: true,
  roundSkipped: true,
  addressResolved: true,
  roundFailed: true,
  pathTraced: true,
} satisfies Record<keyof SchedulerObserver, true>;

type Listener = (a: unknown, b: unknown, c: unknown, d: unknown) => void;

/** Every event's arguments fit in four: forwarded without a rest array per call (several per ping). */
export const observerEvents = Object.keys(events) as (keyof SchedulerObserver)[];

/** What each fan-out forwards to, for observersIn. */
const fannedTo = new WeakMap<SchedulerObserver, readonly SchedulerObserver[]>();

/** One observer that forwards every report to several, in order. */
export function fanOut(...observers: SchedulerObserver[]): SchedulerObserver {
  const out: Record<string, Listener> = {};
  fannedTo.set(out as SchedulerObserver, observers);
  for (const key of observerEvents) {
    const listeners = observers.map((o) => o[key] as Listener | undefined).filter((l) => l !== undefined);
    if (listeners.length === 0) continue;
    out[key] = (a, b, c, d) => {
      for (const l of listeners) l(a, b, c, d);
    };
  }
  return out as SchedulerObserver;
}

/**
 * The observers a report to `observer` reaches, in order: those of a fan-out (and of the fan-outs
 * in it), or `observer` itself. The scheduler tells many targets' arrivals and departures to one
 * observer at a time (see Scheduler.tellEach).
 */
export function observersIn(observer: SchedulerObserver): SchedulerObserver[] {
  const parts = fannedTo.get(observer);
  return parts === undefined ? [observer] : parts.flatMap(observersIn);
}

/** Log lines of the rounds and traces; `skipped` rate-limits rounds skipped (at 10,000 targets behind, one a target a round). */
export function logObserver(log: Logger, skipped?: LogSummary): SchedulerObserver {
  return {
    roundFinished: (target, summary) => {
      // Asked first: the record's fields would otherwise be gathered every round (every ping, at scale) to be dropped.
      if (!log.isLevelEnabled('debug')) return;
      log.debug(
        { target, sent: summary.sent, received: summary.received, lossRatio: summary.lossRatio, rtt: summary.rtt },
        'round finished',
      );
    },
    roundSkipped: (target) =>
      skipped ? skipped.event('skipped', { target }) : log.warn({ target }, 'round skipped: the previous round was still running'),
    addressResolved: (target, address, previous) => {
      if (previous !== undefined) log.info({ target, address, previous }, 'target address changed');
    },
    unverifiedIcmp: (target, seq, icmp, reason) => log.debug({ target, seq, icmp, reason }, 'ICMP error that changed no verdict'),
    roundFailed: (target, err) => log.error({ target, err }, 'round failed'),
    pathTraced: (target, { trace, trigger, changedHops }) => {
      const stop = answersStopAt(trace);
      const last = trace.hops.at(-1)?.hop ?? 0;
      const where = stop
        ? `answers stop at hop ${stop.hop} (${stop.address})`
        : reached(trace)
          ? `${trace.end} at hop ${last}`
          : `${trace.end} after ${last} hops`;
      const changed = changedHops && changedHops.length > 0 ? `; path changed at hop ${changedHops.join(', ')}` : '';
      const fields = {
        target,
        trigger,
        end: trace.end,
        hops: trace.hops.length,
        sourcePort: trace.sourcePort,
        changedHops,
        ...(stop ? { answersStopAt: stop.hop } : {}),
      };
      // A trace run for loss, or one that found a change, is news; a periodic one that found nothing new is not.
      if (trigger !== 'periodic' || changed) log.info(fields, `path to ${target} traced (${trigger}): ${where}${changed}`);
      else log.debug(fields, `path to ${target} traced (${trigger}): ${where}`);
    },
  };
}
