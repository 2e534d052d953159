import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import { type BadRequestReason, badRequestReasons } from '../protocol/line.js';
import type { ResponderEvents } from '../responder/responder.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import { evictionReasons } from '../util/connection-slots.js';
import { EventLoopDelay } from './event-loop.js';
import type { ExpositionFormat } from './exposition.js';
import { registryProtobuf } from './registry-protobuf.js';
import { TargetSeries, type TargetSeriesOptions } from './target-series.js';

const LAG_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * Every metric tcpping exports. Names, types and labels are a public contract (README.md, "Metrics
 * and HTTP"): dashboards and alerts depend on them. The per-target families live in TargetSeries (written
 * by hand, for scrape speed at thousands of targets, with native histograms); the service-wide ones
 * and the process metrics are prom-client's, on the injected registry. Both are written in the text
 * format or, for a scraper that asks for it, in the protobuf format.
 */
export class Metrics {
  readonly targets: TargetSeries;
  readonly schedulerLag;
  readonly responderConnections;
  readonly responderConnectionsActive;
  readonly responderPings;
  readonly responderPingsDropped;
  readonly responderBadRequests;
  readonly responderEvictions;
  readonly webEvictions;
  readonly webConfigReloadSuccessful;
  readonly meshNameConflicts;
  readonly icmpCaptureEnabled;
  readonly kernelTimingEnabled;
  readonly eventLoopDelay;
  readonly configReloadSuccessful;
  readonly configReloadTimestamp;
  readonly targetFileLoadSuccessful;
  private activeConnections: () => number = () => 0;

  constructor(
    readonly registry: Registry,
    version: string,
    options: TargetSeriesOptions = {},
  ) {
    this.targets = new TargetSeries(options);
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });

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
    this.responderEvictions = counter(
      'tcpping_responder_connections_evicted_total',
      'Responder connections closed to make room for a new one (the one longest without a complete line), by which limit was full.',
      ['reason'],
    );
    this.webEvictions = counter(
      'tcpping_web_connections_evicted_total',
      'HTTP connections closed to make room for a new one (the idle one that waited longest, or the new one if all were busy), by which limit was full.',
      ['reason'],
    );
    this.webConfigReloadSuccessful = gauge(
      'tcpping_web_config_last_reload_successful',
      'Whether the last read of the web configuration file (web.configFile) succeeded; 1 when there is none.',
      [],
    );
    this.meshNameConflicts = gauge(
      'tcpping_mesh_peer_name_conflicts',
      'Mesh peer addresses whose claimed name is taken by another peer or is not a valid name (they are pinged under their address).',
      [],
    );
    this.icmpCaptureEnabled = gauge('tcpping_icmp_capture_enabled', '1 if ICMP errors are being captured (raw sockets, CAP_NET_RAW).', []);
    this.kernelTimingEnabled = gauge(
      'tcpping_kernel_timing_enabled',
      "1 if pings are timed and judged from the kernel's record of each socket (TCP_INFO); 0: userland timing.",
      [],
    );
    this.eventLoopDelay = new EventLoopDelay(registry);
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
    this.targetFileLoadSuccessful = gauge('tcpping_target_file_last_load_successful', 'Whether the last read of a target file succeeded.', [
      'file',
    ]);
    gauge('tcpping_build_info', 'Build information; always 1.', ['version', 'nodejs_version']).set(
      { version, nodejs_version: process.version },
      1,
    );

    for (const reason of badRequestReasons) this.responderBadRequests.inc({ reason }, 0);
    for (const reason of evictionReasons) {
      this.responderEvictions.inc({ reason }, 0);
      this.webEvictions.inc({ reason }, 0);
    }
    this.webConfigReloadSuccessful.set(1);
    this.meshNameConflicts.set(0);
    this.responderConnections.inc(0);
    this.responderPings.inc(0);
    this.responderPingsDropped.inc(0);
    this.icmpCaptureEnabled.set(0);
    this.kernelTimingEnabled.set(0);
    collectDefaultMetrics({ register: registry });
  }

  /** The whole /metrics body: per-target families first, then the registry's. */
  async exposition(format: ExpositionFormat = 'text'): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.expositionChunks(format)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** The body in chunks, with the event loop free between them (see TargetSeries.chunks). */
  async *expositionChunks(format: ExpositionFormat): AsyncGenerator<Uint8Array> {
    yield* this.targets.chunks(format);
    yield format === 'text' ? Buffer.from(await this.registry.metrics()) : await registryProtobuf(this.registry);
  }

  /** metrics.nativeHistograms, also as a reload changes it. */
  setNativeHistograms(on: boolean): void {
    this.targets.nativeHistograms = on;
  }

  bindResponder(activeConnections: () => number): void {
    this.activeConnections = activeConnections;
  }

  configLoaded(success: boolean, wallSeconds: number): void {
    this.configReloadSuccessful.set(success ? 1 : 0);
    if (success) this.configReloadTimestamp.set(wallSeconds);
  }

  webConfigLoaded(ok: boolean): void {
    this.webConfigReloadSuccessful.set(ok ? 1 : 0);
  }

  /** Every target file read by the last load: a file that is gone leaves /metrics. */
  targetFilesLoaded(files: readonly { readonly file: string; readonly ok: boolean }[]): void {
    this.targetFileLoadSuccessful.reset();
    for (const { file, ok } of files) this.targetFileLoadSuccessful.set({ file }, ok ? 1 : 0);
  }

  /**
   * What the scheduler reports becomes series: a target's series all exist at 0 from the moment it
   * is added, a changed one keeps its series (only its metadata changes), a removed one leaves.
   */
  readonly schedulerObserver: SchedulerObserver = {
    targetAdded: (target) => this.targets.add(target),
    targetChanged: (target) => this.targets.update(target),
    targetRemoved: (name) => this.targets.remove(name),
    pingStarted: (target, lagSeconds) => {
      this.targets.sent(target);
      this.schedulerLag.observe(lagSeconds);
    },
    pingFinished: (target, result) => this.targets.ping(target, result),
    // Late and unconfirmed errors (a slow router's, a forger's) are counted apart from the verdicts.
    unverifiedIcmp: (target, _seq, report, reason) => this.targets.icmpUnverified(target, report, reason),
    roundFinished: (target, summary) => this.targets.round(target, summary),
    roundSkipped: (target) => this.targets.skipped(target),
    addressResolved: (target, _address, previous) => {
      if (previous !== undefined) this.targets.addressChanged(target);
    },
    pathTraced: (target, report) => this.targets.path(target, report),
  };

  readonly responderEvents: ResponderEvents = {
    connection: () => this.responderConnections.inc(),
    ping: (_remote, dropped) => {
      this.responderPings.inc();
      if (dropped) this.responderPingsDropped.inc();
    },
    badRequest: (reason: BadRequestReason) => this.responderBadRequests.inc({ reason }),
    evicted: (reason) => this.responderEvictions.inc({ reason }),
  };
}
