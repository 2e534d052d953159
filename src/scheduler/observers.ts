import type { Logger } from '../log.js';
import type { SchedulerObserver } from './scheduler.js';

/** One observer that forwards every report to several. */
export function fanOut(...observers: SchedulerObserver[]): SchedulerObserver {
  const each =
    <K extends keyof SchedulerObserver>(key: K) =>
    (...args: Parameters<NonNullable<SchedulerObserver[K]>>) => {
      for (const o of observers) (o[key] as ((...a: typeof args) => void) | undefined)?.(...args);
    };
  return {
    pingStarted: each('pingStarted'),
    pingFinished: each('pingFinished'),
    roundFinished: each('roundFinished'),
    roundSkipped: each('roundSkipped'),
    addressResolved: each('addressResolved'),
    roundFailed: each('roundFailed'),
  };
}

export function logObserver(log: Logger): SchedulerObserver {
  return {
    roundFinished: (target, summary) =>
      log.debug(
        { target, sent: summary.sent, received: summary.received, lossRatio: summary.lossRatio, rtt: summary.rtt },
        'round finished',
      ),
    roundSkipped: (target) => log.warn({ target }, 'round skipped: the previous round was still running'),
    addressResolved: (target, address, previous) => {
      if (previous !== undefined) log.info({ target, address, previous }, 'target address changed');
    },
    roundFailed: (target, err) => log.error({ target, err }, 'round failed'),
  };
}
