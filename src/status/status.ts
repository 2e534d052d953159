import { type IcmpReport, type LossReason, pingOf, type Timing } from '../domain/ping.js';
import type { Target, TargetSettings } from '../domain/target.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import { stateOfRound, type TargetState } from '../stats/health.js';
import type { RoundSummary } from '../stats/round-summary.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_HISTORY_ROUNDS, RoundHistory, type RoundPoint } from './history.js';
import { type PathStatus, pathStatus } from './path.js';

export type { PathStatus };

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
  /** As configured, and its host part (a name or an address). */
  readonly address: string;
  readonly host: string;
  readonly mode: string;
  readonly settings: TargetSettings & { readonly labels: Target['labels'] };
  readonly up: boolean | null;
  /** pending, up, degraded (lost more than settings.degradedLossRatio) or down, after the last round. */
  readonly state: TargetState;
  readonly rounds: number;
  readonly lastRound: (RoundSummary & { readonly finishedAt: number }) | null;
  readonly lastLoss: LastLoss | null;
  /** The IP address the last round pinged, when the scheduler reports it (hostnames); null before. */
  readonly resolvedAddress: string | null;
  /** How often the resolved address changed since the target was added. */
  readonly addressChanges: number;
  /**
   * What timed the last ping and judged it: "kernel" (TCP_INFO, immune to event-loop stalls) or
   * "userland" (no TCP_INFO here: figures include the event loop's delays); null before a ping.
   */
  readonly timing: Timing | null;
  /** The last trace of the target's TCP path (when its pings began to be lost, or as configured); null before one. */
  readonly path: PathStatus | null;
  /** How many traces found the path changed since the target was added. */
  readonly pathChanges: number;
  /** Recent rounds, oldest first, at most `historyRounds` of them. */
  readonly history: RoundPoint[];
}

/** The last round's figures, kept in place: a round replaces numbers, it adds no object to keep. */
interface LastRound {
  sent: number;
  received: number;
  lossRatio: number;
  /** NaN for null (no reply). */
  min: number;
  avg: number;
  max: number;
  mdev: number;
  finishedAt: number;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);
const lastRoundOf = (r: LastRound | undefined): TargetStatus['lastRound'] =>
  r === undefined
    ? null
    : {
        sent: r.sent,
        received: r.received,
        lossRatio: r.lossRatio,
        rtt: { min: orNull(r.min), avg: orNull(r.avg), max: orNull(r.max), mdev: orNull(r.mdev) },
        finishedAt: r.finishedAt,
      };

interface Entry {
  config: Target;
  rounds: number;
  lastRound: LastRound | undefined;
  state: TargetState;
  lastLoss: LastLoss | null;
  resolvedAddress: string | null;
  addressChanges: number;
  timing: Timing | null;
  path: PathStatus | null;
  pathChanges: number;
  history: RoundHistory;
}

/** The targets' latest state and recent rounds for the API and the status page, fed by the scheduler's reports. */
export class StatusBoard {
  private readonly targets = new Map<string, Entry>();
  private changes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly historyRounds = DEFAULT_HISTORY_ROUNDS,
  ) {}

  /** Grows with every change of what list() returns: views built from it are reused until it moves. */
  get version(): number {
    return this.changes;
  }

  /** Every target's state; `withHistory` false leaves the (large) round history empty. */
  list(withHistory = true): TargetStatus[] {
    return [...this.targets.values()].map((entry) => {
      const { config, rounds, lastRound, state, lastLoss, resolvedAddress, addressChanges, timing, path, pathChanges, history } = entry;
      const { name, address, host, port: _port, ...settings } = config;
      const up = lastRound ? lastRound.received > 0 : null;
      return {
        name,
        address,
        host,
        mode: config.mode,
        settings,
        up,
        state,
        rounds,
        lastRound: lastRoundOf(lastRound),
        lastLoss,
        resolvedAddress,
        addressChanges,
        timing,
        path,
        pathChanges,
        history: withHistory ? history.toArray() : [],
      };
    });
  }

  /**
   * Targets come and go by the scheduler's reports. A changed target (as after a reload) keeps its
   * rounds, last loss and history, with its new settings; a removed one is forgotten.
   */
  readonly observer: SchedulerObserver = {
    targetAdded: (config) => {
      this.changes++;
      this.targets.set(config.name, {
        config,
        rounds: 0,
        lastRound: undefined,
        state: 'pending',
        lastLoss: null,
        resolvedAddress: null,
        addressChanges: 0,
        timing: null,
        path: null,
        pathChanges: 0,
        history: new RoundHistory(this.historyRounds),
      });
    },
    targetChanged: (config) => {
      this.changes++;
      const entry = this.targets.get(config.name);
      if (entry) entry.config = config;
      else this.observer.targetAdded?.(config);
    },
    targetRemoved: (name) => {
      this.changes++;
      this.targets.delete(name);
    },
    pingFinished: (target, result) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      const timing = pingOf(result).timing ?? entry.timing;
      if (timing !== entry.timing) {
        entry.timing = timing;
        this.changes++;
      }
      if (result.ok) return;
      this.changes++;
      const { seq, reason, detail, icmp } = result.error;
      entry.lastLoss = { seq, reason, detail, ...(icmp ? { icmp } : {}), at: this.clock.wallSeconds() };
    },
    roundFinished: (target, summary) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      this.changes++;
      const finishedAt = this.clock.wallSeconds();
      entry.rounds++;
      const { rtt } = summary;
      entry.lastRound ??= { sent: 0, received: 0, lossRatio: 0, min: 0, avg: 0, max: 0, mdev: 0, finishedAt: 0 };
      const last = entry.lastRound;
      last.sent = summary.sent;
      last.received = summary.received;
      last.lossRatio = summary.lossRatio;
      last.min = rtt.min ?? Number.NaN;
      last.avg = rtt.avg ?? Number.NaN;
      last.max = rtt.max ?? Number.NaN;
      last.mdev = rtt.mdev ?? Number.NaN;
      last.finishedAt = finishedAt;
      entry.state = stateOfRound(summary, entry.config.degradedLossRatio, entry.state);
      entry.history.recordRound(summary, finishedAt);
    },
    addressResolved: (target, address, previous) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      this.changes++;
      entry.resolvedAddress = address;
      if (previous !== undefined) entry.addressChanges++; // the scheduler reports a previous one only when it differs
    },
    pathTraced: (target, report) => {
      const entry = this.targets.get(target);
      if (!entry) return;
      this.changes++;
      entry.path = pathStatus(report);
      if (report.changedHops && report.changedHops.length > 0) entry.pathChanges++;
    },
  };
}
