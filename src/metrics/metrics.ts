import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import { estimateSynRetransmits } from '../probe/retransmits.js';
import { type IcmpReport, lossReasons, type PingResult } from '../probe/types.js';
import { type BadRequestReason, badRequestReasons } from '../protocol/line.js';
import type { ResponderEvents } from '../responder/responder.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import type { RoundSummary } from '../stats/round.js';

/** From 100 µs (loopback) to 10 s (retransmitted handshakes at 1, 3 and 7 s land in their own buckets). */
export const RTT_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

type IcmpLabels = { target: string; icmp_version: string; icmp_type: string; icmp_code: string };

export interface TargetLabels {
  readonly name: string;
  readonly address: string;
  readonly mode: string;
  /** User labels from the config or a target file; joined in PromQL via tcpping_target_info. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * tcpping_target_info carries each target's user labels, and their names differ from target to
 * target, which a prom-client Gauge (fixed label names) cannot express: a small collector does.
 */
class TargetInfo {
  readonly name = 'tcpping_target_info';
  readonly help = 'Target metadata and user labels; always 1.';
  readonly type = 'gauge';
  readonly aggregator = 'first';
  readonly targets = new Map<string, TargetLabels>();

  get() {
    const values = [...this.targets.values()].map((t) => ({
      labels: { ...t.labels, target: t.name, address: t.address, mode: t.mode },
      value: 1,
    }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

/**
 * Every metric tcpping exports, defined against one injected registry. Names, types and labels are
 * a public contract (DESIGN.md): dashboards and alerts depend on them.
 */
export class Metrics {
  readonly pingsSent;
  readonly pingsLost;
  readonly rtt;
  readonly connect;
  readonly connectRetransmits;
  readonly icmpErrors;
  readonly roundLossRatio;
  readonly roundRtt;
  readonly roundsSkipped;
  readonly targetUp;
  readonly targetInfo = new TargetInfo();
  readonly addressChanges;
  readonly targetFileLoaded;
  readonly schedulerLag;
  readonly responderConnections;
  readonly responderConnectionsActive;
  readonly responderPings;
  readonly responderPingsDropped;
  readonly responderBadRequests;
  readonly icmpCaptureEnabled;
  readonly configReloadSuccessful;
  readonly configReloadTimestamp;
  private activeConnections: () => number = () => 0;
  /** ICMP series are created on first sight (type/code are open-ended); remembered for removal. */
  private readonly icmpSeen = new Map<string, Map<string, IcmpLabels>>();

  constructor(
    readonly registry: Registry,
    version: string,
  ) {
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers });

    this.pingsSent = counter('tcpping_pings_sent_total', 'Pings started.', ['target']);
    this.pingsLost = counter('tcpping_pings_lost_total', 'Pings without a valid reply, by reason.', ['target', 'reason']);
    this.rtt = histogram('tcpping_rtt_seconds', 'Round-trip time of each successful ping.', ['target'], RTT_BUCKETS_SECONDS);
    this.connect = histogram('tcpping_connect_seconds', 'TCP handshake time.', ['target'], RTT_BUCKETS_SECONDS);
    this.connectRetransmits = counter(
      'tcpping_connect_retransmits_total',
      'Handshakes that took at least one SYN retransmission (about 1 s, 3 s, 7 s late): loss that TCP hid.',
      ['target'],
    );
    // icmp_version tells ICMPv4 from ICMPv6: their type numbers mean different things (3 is
    // "destination unreachable" in v4 and "time exceeded" in v6).
    this.icmpErrors = counter('tcpping_icmp_errors_total', "ICMP errors matched to this target's pings, by ICMP version, type and code.", [
      'target',
      'icmp_version',
      'icmp_type',
      'icmp_code',
    ]);
    this.roundLossRatio = gauge('tcpping_round_loss_ratio', 'Loss of the last completed round, 0..1.', ['target']);
    this.roundRtt = {
      min: gauge('tcpping_round_rtt_min_seconds', 'Minimum RTT of the last completed round (NaN if no reply).', ['target']),
      avg: gauge('tcpping_round_rtt_avg_seconds', 'Average RTT of the last completed round (NaN if no reply).', ['target']),
      max: gauge('tcpping_round_rtt_max_seconds', 'Maximum RTT of the last completed round (NaN if no reply).', ['target']),
      mdev: gauge('tcpping_round_rtt_mdev_seconds', 'RTT mean deviation of the last completed round, as ping prints it.', ['target']),
    };
    this.roundsSkipped = counter(
      'tcpping_rounds_skipped_total',
      'Rounds not started because the previous round of the target was still running.',
      ['target'],
    );
    this.targetUp = gauge('tcpping_target_up', '1 if the last round got any reply.', ['target']);
    registry.registerMetric(this.targetInfo as unknown as Parameters<Registry['registerMetric']>[0]);
    this.addressChanges = counter(
      'tcpping_target_address_changes_total',
      "Times a target's host name resolved to a different address than the round before.",
      ['target'],
    );
    this.targetFileLoaded = gauge('tcpping_target_file_last_load_successful', 'Whether the last read of a target file succeeded.', [
      'file',
    ]);
    this.schedulerLag = new Histogram({
      name: 'tcpping_scheduler_lag_seconds',
      help: 'How late pings start against their planned time.',
      buckets: LAG_BUCKETS_SECONDS,
      registers,
    });
    this.responderConnections = counter('tcpping_responder_connections_total', 'Connections accepted by the responder.', []);
    const metrics = this;
    this.responderConnectionsActive = new Gauge({
      name: 'tcpping_responder_connections_active',
      help: 'Connections open on the responder.',
      registers,
      collect() {
        this.set(metrics.activeConnections());
      },
    });
    this.responderPings = counter('tcpping_responder_pings_total', 'Pings received by the responder.', []);
    this.responderPingsDropped = counter('tcpping_responder_pings_dropped_total', 'Pings the responder dropped on purpose (dropRate).', []);
    this.responderBadRequests = counter('tcpping_responder_bad_requests_total', 'Clients cut off for breaking a limit, by reason.', [
      'reason',
    ]);
    this.icmpCaptureEnabled = gauge('tcpping_icmp_capture_enabled', '1 if ICMP errors are being captured.', []);
    this.configReloadSuccessful = gauge(
      'tcpping_config_last_reload_successful',
      'Whether the last configuration load or reload succeeded.',
      [],
    );
    this.configReloadTimestamp = gauge(
      'tcpping_config_last_reload_success_timestamp_seconds',
      'Time of the last successful configuration load or reload.',
      [],
    );
    gauge('tcpping_build_info', 'Build information; always 1.', ['version', 'nodejs_version']).set(
      { version, nodejs_version: process.version },
      1,
    );

    for (const reason of badRequestReasons) this.responderBadRequests.inc({ reason }, 0);
    this.responderConnections.inc(0);
    this.responderPings.inc(0);
    this.responderPingsDropped.inc(0);
    this.icmpCaptureEnabled.set(0);
    collectDefaultMetrics({ register: registry });
  }

  bindResponder(activeConnections: () => number): void {
    this.activeConnections = activeConnections;
  }

  configLoaded(success: boolean, wallSeconds: number): void {
    this.configReloadSuccessful.set(success ? 1 : 0);
    if (success) this.configReloadTimestamp.set(wallSeconds);
  }

  /** Every series of a configured target exists at 0 before its first ping. */
  addTarget(labels: TargetLabels): void {
    const target = labels.name;
    this.targetInfo.targets.set(target, labels);
    this.addressChanges.inc({ target }, 0);
    this.pingsSent.inc({ target }, 0);
    for (const reason of lossReasons) this.pingsLost.inc({ target, reason }, 0);
    this.rtt.zero({ target });
    this.connect.zero({ target });
    this.connectRetransmits.inc({ target }, 0);
    this.roundLossRatio.set({ target }, 0);
    for (const g of Object.values(this.roundRtt)) g.set({ target }, 0);
    this.roundsSkipped.inc({ target }, 0);
    this.targetUp.set({ target }, 0);
  }

  /** A changed target keeps its series; only its metadata changes. */
  updateTarget(labels: TargetLabels): void {
    this.targetInfo.targets.set(labels.name, labels);
  }

  removeTarget(target: string): void {
    this.targetInfo.targets.delete(target);
    for (const reason of lossReasons) this.pingsLost.remove({ target, reason });
    for (const m of [this.pingsSent, this.rtt, this.connect, this.connectRetransmits, this.roundsSkipped, this.addressChanges]) {
      m.remove({ target });
    }
    for (const g of [this.roundLossRatio, this.targetUp, ...Object.values(this.roundRtt)]) g.remove({ target });
    for (const labels of this.icmpSeen.get(target)?.values() ?? []) this.icmpErrors.remove(labels);
    this.icmpSeen.delete(target);
  }

  recordPing(target: string, result: PingResult): void {
    if (result.connectSeconds !== undefined) {
      this.connect.observe({ target }, result.connectSeconds);
      if (estimateSynRetransmits(result.connectSeconds) > 0) this.connectRetransmits.inc({ target });
    }
    if (result.ok) this.rtt.observe({ target }, result.rttSeconds);
    else this.pingsLost.inc({ target, reason: result.reason });
    if (!result.ok && result.icmp) this.recordIcmp(target, result.icmp);
  }

  /** Counts an ICMP error for a target (also one that came after its ping had ended). */
  recordIcmp(target: string, icmp: IcmpReport): void {
    const labels = { target, icmp_version: String(icmp.family), icmp_type: String(icmp.type), icmp_code: String(icmp.code) };
    this.icmpErrors.inc(labels);
    const seen = this.icmpSeen.get(target) ?? new Map<string, IcmpLabels>();
    this.icmpSeen.set(target, seen);
    seen.set(`${labels.icmp_version}/${labels.icmp_type}/${labels.icmp_code}`, labels);
  }

  recordRound(target: string, summary: RoundSummary): void {
    this.roundLossRatio.set({ target }, summary.lossRatio);
    this.targetUp.set({ target }, summary.received > 0 ? 1 : 0);
    for (const key of ['min', 'avg', 'max', 'mdev'] as const) this.roundRtt[key].set({ target }, summary.rtt[key] ?? Number.NaN);
  }

  readonly schedulerObserver: SchedulerObserver = {
    pingStarted: (target, lagSeconds) => {
      this.pingsSent.inc({ target });
      this.schedulerLag.observe(lagSeconds);
    },
    pingFinished: (target, result) => this.recordPing(target, result),
    roundFinished: (target, summary) => this.recordRound(target, summary),
    roundSkipped: (target) => this.roundsSkipped.inc({ target }),
    addressResolved: (target, _address, previous) => {
      if (previous !== undefined) this.addressChanges.inc({ target });
    },
  };

  readonly responderEvents: ResponderEvents = {
    connection: () => this.responderConnections.inc(),
    ping: (_remote, dropped) => {
      this.responderPings.inc();
      if (dropped) this.responderPingsDropped.inc();
    },
    badRequest: (reason: BadRequestReason) => this.responderBadRequests.inc({ reason }),
  };
}
