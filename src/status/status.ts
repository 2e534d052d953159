import type { TargetConfig } from '../config/load.js';
import type { IcmpReport, LossReason, PingResult } from '../probe/types.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import type { RoundSummary } from '../stats/round.js';
import type { Clock } from '../util/clock.js';

export interface LastLoss {
  readonly seq: number;
  readonly reason: LossReason;
  readonly detail: string;
  readonly icmp?: IcmpReport;
  /** Unix seconds. */
  readonly at: number;
}

export interface TargetStatus {
  readonly name: string;
  readonly address: string;
  readonly mode: string;
  readonly settings: Omit<TargetConfig, 'name' | 'address' | 'host' | 'port'>;
  readonly up: boolean | null;
  readonly rounds: number;
  readonly lastRound: (RoundSummary & { readonly finishedAt: number }) | null;
  readonly lastLoss: LastLoss | null;
}

/** The targets' latest state for the API and the status page, fed by the scheduler's reports. */
export class StatusBoard {
  private readonly targets = new Map<
    string,
    { config: TargetConfig; rounds: number; lastRound: TargetStatus['lastRound']; lastLoss: LastLoss | null }
  >();

  constructor(private readonly clock: Clock) {}

  setTargets(targets: readonly TargetConfig[]): void {
    this.targets.clear();
    for (const config of targets) this.targets.set(config.name, { config, rounds: 0, lastRound: null, lastLoss: null });
  }

  list(): TargetStatus[] {
    return [...this.targets.values()].map(({ config, rounds, lastRound, lastLoss }) => {
      const { name, address, host: _host, port: _port, ...settings } = config;
      return { name, address, mode: config.mode, settings, up: lastRound ? lastRound.received > 0 : null, rounds, lastRound, lastLoss };
    });
  }

  readonly observer: SchedulerObserver = {
    pingFinished: (target: string, result: PingResult) => {
      const entry = this.targets.get(target);
      if (!entry || result.ok) return;
      const { seq, reason, detail, icmp } = result;
      entry.lastLoss = { seq, reason, detail, ...(icmp ? { icmp } : {}), at: this.clock.wallSeconds() };
    },
    roundFinished: (target: string, summary: RoundSummary) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      entry.rounds++;
      entry.lastRound = { ...summary, finishedAt: this.clock.wallSeconds() };
    },
  };
}
