import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Config } from './config/load.js';
import { createApp } from './http/app.js';
import type { IcmpCapture, OpenRawSocket } from './icmp/capture.js';
import type { PingOwner } from './icmp/match.js';
import { openIcmpSocket } from './icmp/raw.js';
import { setUpCapture } from './icmp/setup.js';
import { type Logger, silentLogger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { defaultProbeContext, type IcmpReport, type ProbeContext, probers } from './probe/index.js';
import { Responder } from './responder/responder.js';
import { Scheduler, type SchedulerObserver } from './scheduler/scheduler.js';
import { StatusBoard } from './status/status.js';
import { type Clock, type Random, systemClock } from './util/clock.js';
import { ListenError } from './util/errors.js';
import { formatHostPort } from './util/hostport.js';
import { version } from './version.js';

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly registry?: Registry;
  readonly logger?: Logger;
  readonly probeContext?: ProbeContext;
  /** Raw-socket factory for ICMP capture (tests inject one). */
  readonly openRawSocket?: OpenRawSocket;
}

/** How long shutdown waits for pings in flight before aborting them. */
const STOP_GRACE_MS = 2000;

/**
 * The composition root of `tcpping serve`: config → metrics → responder → scheduler → HTTP.
 * Signals and exit codes belong to the CLI; this owns start and an orderly stop.
 */
export class Service {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly status: StatusBoard;
  readonly app;
  responderAddress: AddressInfo | undefined;
  httpAddress: AddressInfo | undefined;
  private readonly responder: Responder | undefined;
  private readonly scheduler: Scheduler;
  private readonly capture: IcmpCapture | undefined;
  private http: Server | undefined;
  private ready = false;

  private constructor(
    readonly config: Config,
    private readonly log: Logger,
    options: ServiceOptions,
  ) {
    const clock = options.clock ?? systemClock;
    this.registry = options.registry ?? new Registry();
    this.metrics = new Metrics(this.registry, version);
    this.metrics.configLoaded(true, clock.wallSeconds());
    this.status = new StatusBoard(clock);
    this.status.setTargets(config.targets);
    for (const t of config.targets) this.metrics.addTarget({ name: t.name, address: t.address, mode: t.mode });

    // Throws for icmp.capture "on" without CAP_NET_RAW, before anything listens.
    const icmp = setUpCapture(config.icmp.capture, options.openRawSocket ?? openIcmpSocket, clock, `${config.source}: icmp.capture`);
    for (const warning of icmp.warnings) log.warn(warning);
    this.capture = icmp.capture;
    this.metrics.icmpCaptureEnabled.set(this.capture ? 1 : 0);
    if (this.capture) {
      this.capture.onLate = (owner, report) => this.countLateIcmp(owner, report);
      log.info({ families: this.capture.families }, 'ICMP capture on');
    }

    if (config.responder.enabled) {
      const { dropRate, delayMs, jitterMs, maxLineBytes, idleTimeoutMs, maxConnections } = config.responder;
      const pingLog = log.child({ component: 'responder' });
      this.responder = new Responder({
        dropRate,
        delayMs,
        jitterMs,
        maxLineBytes,
        idleTimeoutMs,
        maxConnections,
        clock,
        ...(options.random ? { random: options.random } : {}),
        events: {
          ...this.metrics.responderEvents,
          ping: (remote, dropped) => {
            this.metrics.responderEvents.ping?.(remote, dropped);
            if (pingLog.isLevelEnabled('debug')) pingLog.debug({ remote, dropped }, `Ping received from ${remote}`);
          },
          badRequest: (reason, remote) => {
            this.metrics.responderEvents.badRequest?.(reason, remote);
            pingLog.info({ remote, reason }, 'client cut off');
          },
        },
      });
      const responder = this.responder;
      this.metrics.bindResponder(() => responder.activeConnections);
    }

    this.scheduler = new Scheduler(
      {
        clock,
        probers,
        probeContext: { ...(options.probeContext ?? defaultProbeContext), ...(this.capture ? { icmp: this.capture } : {}) },
      },
      fanOut(this.metrics.schedulerObserver, this.status.observer, lossLogger(log)),
    );
    this.app = createApp({
      registry: this.registry,
      status: this.status,
      version,
      ready: () => this.ready,
      onError: (err, req) => log.error({ err, path: req.path }, 'HTTP request failed'),
    });
  }

  static async start(config: Config, options: ServiceOptions = {}): Promise<Service> {
    const log = options.logger ?? silentLogger;
    const service = new Service(config, log, options);
    try {
      await service.listen();
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  private async listen(): Promise<void> {
    const { responder, web, targets } = this.config;
    if (this.responder) {
      this.responderAddress = await this.responder.listen(responder.listen.host, responder.listen.port);
      this.log.info(
        { address: formatHostPort({ host: this.responderAddress.address, port: this.responderAddress.port }) },
        'ping responder listening',
      );
    }
    this.http = await listenHttp(this.app, web.listenAddress.host, web.listenAddress.port);
    this.httpAddress = this.http.address() as AddressInfo;
    this.scheduler.start(targets);
    this.ready = true;
    this.log.info(
      { web: formatHostPort({ host: this.httpAddress.address, port: this.httpAddress.port }), targets: targets.length, version },
      'tcpping serving',
    );
  }

  /** Stops scheduling, waits (bounded) for pings in flight, then closes the responder and HTTP. */
  async stop(): Promise<void> {
    this.ready = false;
    await this.scheduler.stop(STOP_GRACE_MS);
    this.capture?.stop();
    await this.responder?.stop();
    const http = this.http;
    if (http?.listening) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  }

  /**
   * An ICMP error that came after its ping had already ended still counts for the target. The
   * probe knows the host and port it pinged, not the target's name; with two targets on the same
   * address the first one gets it.
   */
  private countLateIcmp(owner: PingOwner, report: IcmpReport): void {
    const target = this.config.targets.find((t) => t.host === owner.host && t.port === owner.port);
    if (!target) return;
    // TODO(metrics owner): a Metrics.recordIcmp(target, report) would also remember the series for removeTarget.
    this.metrics.icmpErrors.inc({ target: target.name, icmp_type: String(report.type), icmp_code: String(report.code) });
  }
}

async function listenHttp(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new ListenError('HTTP', formatHostPort({ host, port }), error));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => {});
  return server;
}

function fanOut(...observers: SchedulerObserver[]): SchedulerObserver {
  return {
    pingStarted: (t, lag) => {
      for (const o of observers) o.pingStarted?.(t, lag);
    },
    pingFinished: (t, r) => {
      for (const o of observers) o.pingFinished?.(t, r);
    },
    roundFinished: (t, s, rs) => {
      for (const o of observers) o.roundFinished?.(t, s, rs);
    },
    roundSkipped: (t) => {
      for (const o of observers) o.roundSkipped?.(t);
    },
  };
}

function lossLogger(log: Logger): SchedulerObserver {
  return {
    roundFinished: (target, summary) =>
      log.debug(
        { target, sent: summary.sent, received: summary.received, lossRatio: summary.lossRatio, rtt: summary.rtt },
        'round finished',
      ),
    roundSkipped: (target) => log.warn({ target }, 'round skipped: the previous round was still running'),
  };
}
