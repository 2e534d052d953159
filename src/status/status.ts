import type { TargetConfig } from '../config/load.js';
import type { IcmpReport, LossReason, PingResult } from '../probe/types.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import type { RoundSummary } from '../stats/round.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_HISTORY_ROUNDS, RoundHistory, type RoundPoint, roundPoint } from './history.js';

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
  /** The IP address the last round pinged, when the scheduler reports it (hostnames); null before. */
  readonly resolvedAddress: string | null;
  /** How often the resolved address changed since the target was added. */
  readonly addressChanges: number;
  /** Recent rounds, oldest first, at most `historyRounds` of them. */
  readonly history: RoundPoint[];
}

interface Entry {
  config: TargetConfig;
  rounds: number;
  lastRound: TargetStatus['lastRound'];
  lastLoss: LastLoss | null;
  resolvedAddress: string | null;
  addressChanges: number;
  history: RoundHistory;
}

/** The targets' latest state and recent rounds for the API and the status page, fed by the scheduler's reports. */
export class StatusBoard {
  private readonly targets = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly historyRounds = DEFAULT_HISTORY_ROUNDS,
  ) {}

  /**
   * Sets the configured targets. A target that stays (same name, as after a reload) keeps its
   * rounds, last loss and history, with its new settings; removed ones are forgotten.
   */
  setTargets(targets: readonly TargetConfig[]): void {
    const previous = new Map(this.targets);
    this.targets.clear();
    for (const config of targets) {
      const kept = previous.get(config.name);
      this.targets.set(
        config.name,
        kept
          ? { ...kept, config }
          : {
              config,
              rounds: 0,
              lastRound: null,
              lastLoss: null,
              resolvedAddress: null,
              addressChanges: 0,
              history: new RoundHistory(this.historyRounds),
            },
      );
    }
  }

  /** Every target's state; `withHistory` false leaves the (large) round history empty. */
  list(withHistory = true): TargetStatus[] {
    return [...this.targets.values()].map((entry) => {
      const { config, rounds, lastRound, lastLoss, resolvedAddress, addressChanges, history } = entry;
      const { name, address, host: _host, port: _port, ...settings } = config;
      const up = lastRound ? lastRound.received > 0 : null;
      return {
        name,
        address,
        mode: config.mode,
        settings,
        up,
        rounds,
        lastRound,
        lastLoss,
        resolvedAddress,
        addressChanges,
        history: withHistory ? history.toArray() : [],
      };
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
      const finishedAt = this.clock.wallSeconds();
      entry.rounds++;
      entry.lastRound = { ...summary, finishedAt };
      entry.history.push(roundPoint(summary, finishedAt));
    },
    addressResolved: (target: string, address: string, previous?: string) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      entry.resolvedAddress = address;
      if (previous !== undefined) entry.addressChanges++; // the scheduler reports a previous one only when it differs
    },
  };
}
