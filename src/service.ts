import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Registry } from 'prom-client';
import type { Config } from './config/load.js';
import { schema } from './config/schema.js';
import { createApp } from './http/app.js';
import { webGuard } from './http/guard.js';
import { closeHttp, listenHttp } from './http/listen.js';
import { PasswordCheck } from './http/password-check.js';
import { requestUrl } from './http/request-url.js';
import type { IcmpCapture, OpenRawSocket } from './icmp/capture.js';
import { openIcmpSocket } from './icmp/raw.js';
import { setUpCapture } from './icmp/setup.js';
import { Mesh } from './mesh/mesh.js';
import { Metrics } from './metrics/metrics.js';
import { defaultProbeContext, kernelTimingUnavailable, probers } from './probe/index.js';
import type { ProbeContext } from './probe/types.js';
import { Responder } from './responder/responder.js';
import { type LiveAppliers, Reloader, type ReloadResult } from './runtime/reloader.js';
import { TargetSet } from './runtime/target-set.js';
import { LiveWebConfig } from './runtime/web-config.js';
import { fanOut, logObserver } from './scheduler/observers.js';
import type { Resolver } from './scheduler/resolve.js';
import { Scheduler, type SchedulerObserver } from './scheduler/scheduler.js';
import { transitionObserver } from './scheduler/transitions.js';
import { ShardedScheduler } from './shard/sharded.js';
import { StatusBoard } from './status/status.js';
import { kernelTracer } from './trace/sockets.js';
import { PathTracer } from './trace/tracer.js';
import { type Clock, type Random, systemClock } from './util/clock.js';
import { TcppingError } from './util/errors.js';
import { formatHostPort } from './util/hostport.js';
import { type Logger, silentLogger } from './util/log.js';
import { LogSummary } from './util/log-summary.js';
import { version } from './util/version.js';

export type { ReloadResult };

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly registry?: Registry;
  readonly logger?: Logger;
  readonly probeContext?: ProbeContext;
  readonly resolver?: Resolver;
  /** Raw-socket factory for ICMP capture (tests inject one). */
  readonly openRawSocket?: OpenRawSocket;
  /** Reload when the config file or a target file changes (on for `tcpping serve`). */
  readonly watchFiles?: boolean;
  /** One more subscriber to the scheduler's events, after metrics, status and log (tests and benchmarks read each ping from it). */
  readonly observer?: SchedulerObserver;
}

/**
 * How long shutdown waits for pings in flight (a reload's retiring targets' included) before
 * aborting them; everything else closes at once, so a stop takes about this long at most.
 */
export const STOP_GRACE_MS = 2000;

/**
 * The composition root of `tcpping serve`: config → metrics → capture → responder → scheduler →
 * HTTP. Signals and exit codes belong to the CLI; this owns start and an orderly stop.
 */
export class Service {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly status: StatusBoard;
  readonly app;
  readonly selfName: string;
  responderAddress: AddressInfo | undefined;
  httpAddress: AddressInfo | undefined;
  private readonly clock: Clock;
  private readonly reloader: Reloader;
  private readonly responder: Responder | undefined;
  /** Runs the rounds: on this thread, or on `scheduler.workers` worker threads. */
  private readonly scheduler: Pick<Scheduler, 'apply' | 'stop'>;
  private readonly targets: TargetSet;
  private readonly capture: IcmpCapture | undefined;
  /** Traces targets' paths when they begin to lose pings; undefined where the kernel bindings cannot load. */
  private readonly tracer: PathTracer | undefined;
  /** Child loggers keep the level they were made with: a reload sets theirs too. */
  private readonly childLogs: Logger[] = [];
  private readonly logSummaries: LogSummary[] = [];
  private readonly web: LiveWebConfig | undefined;
  private readonly passwords = new PasswordCheck();
  private mesh: Mesh | undefined;
  private http: Server | undefined;
  private ready = false;

  private constructor(
    config: Config,
    private readonly log: Logger,
    options: ServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.selfName = config.mesh.selfName || hostname();
    this.registry = options.registry ?? new Registry();
    this.metrics = new Metrics(this.registry, version, {
      rttBucketsSeconds: config.metrics.rttBuckets,
      nativeHistograms: config.metrics.nativeHistograms,
      drop: config.metrics.drop,
    });
    this.metrics.configLoaded(true, this.clock.wallSeconds());
    this.status = new StatusBoard(this.clock);
    // Throws for a broken web config file, before anything listens or opens.
    this.web = config.web.configFile === '' ? undefined : LiveWebConfig.start(webConfigPath(config), this.childLog('web'), this.metrics);

    // Throws for icmp.capture "on" without CAP_NET_RAW, before anything listens.
    const probeContext = options.probeContext ?? defaultProbeContext;
    const icmp = setUpCapture(
      config.icmp.capture,
      options.openRawSocket ?? openIcmpSocket,
      this.clock,
      `${config.source}: icmp.capture`,
      probeContext.kernel !== undefined,
    );
    for (const warning of icmp.warnings) log.warn(warning);
    this.capture = icmp.capture;
    this.metrics.icmpCaptureEnabled.set(this.capture ? 1 : 0);
    if (this.capture) log.info({ families: this.capture.families }, 'ICMP capture on');
    this.metrics.kernelTimingEnabled.set(probeContext.kernel ? 1 : 0);
    if (!probeContext.kernel) {
      log.warn(
        { reason: kernelTimingUnavailable ?? 'the probes were given no kernel view' },
        'kernel timing unavailable: RTTs and verdicts are timed in userland, where event-loop delays count against the network',
      );
    }

    this.responder = config.responder.enabled ? this.createResponder(config, options) : undefined;
    // Everything the service shows hears of rounds and of traces on the same road.
    const shown = [
      this.metrics.schedulerObserver,
      this.status.observer,
      logObserver(log, this.skippedRounds(log, config.scheduler.workers)),
      transitionObserver(log),
      ...(options.observer ? [options.observer] : []),
    ];
    this.tracer = this.createTracer(config, options, fanOut(...shown));
    const observer = fanOut(...shown, ...(this.tracer ? [this.tracer.observer] : []));
    this.scheduler =
      config.scheduler.workers > 0
        ? this.createShards(config.scheduler.workers, observer)
        : new Scheduler(
            {
              clock: this.clock,
              probers,
              probeContext: { ...probeContext, ...(this.capture ? { icmp: this.capture } : {}) },
              ...(options.resolver ? { resolver: options.resolver } : {}),
            },
            observer,
          );
    this.targets = new TargetSet(this.scheduler);
    this.reloader = new Reloader(config, {
      targets: this.targets,
      events: this.metrics,
      log,
      clock: this.clock,
      watchFiles: options.watchFiles ?? false,
      live: this.liveAppliers(),
    });
    const web = this.web;
    this.app = createApp({
      ...(web ? { guard: webGuard(() => web.get(), this.passwords, this.clock) } : {}),
      metrics: this.metrics,
      status: this.status,
      version,
      selfName: this.selfName,
      ready: () => this.ready,
      lifecycle: () => this.config.web.enableLifecycle,
      reload: () => this.reload('POST /-/reload'),
      serviceState: () => ({ icmpCapture: this.capture?.families ?? [], lastLoad: this.reloader.lastLoad, source: this.config.source }),
      onError: (err, req) => log.error({ err, path: requestUrl(req.url ?? '/').path }, 'HTTP request failed'),
    });
  }

  get config(): Config {
    return this.reloader.config;
  }

  static async start(config: Config, options: ServiceOptions = {}): Promise<Service> {
    const log = options.logger ?? silentLogger;
    // Worker threads run on the system clock, resolver and sockets: a service given its own (a test's) cannot have them.
    const injected = (['clock', 'resolver', 'probeContext'] as const).filter((key) => options[key] !== undefined);
    if (config.scheduler.workers > 0 && injected.length > 0) {
      throw new TcppingError(
        'ERR_CONFIG',
        `scheduler.workers runs the pings on worker threads, which cannot use the ${injected.join(', ')} given`,
      );
    }
    const service = new Service(config, log, options);
    try {
      await service.listen();
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  reload(trigger: string): Promise<ReloadResult> {
    return this.reloader.reload(trigger);
  }

  /** How each setting whose reload is live reaches the running parts. */
  private liveAppliers(): LiveAppliers {
    const tracing = (next: Config) => this.tracer?.configure(next.trace);
    const traceKeys = Object.keys(schema.trace) as (keyof Config['trace'])[];
    return {
      ...(Object.fromEntries(traceKeys.map((key) => [`trace.${key}`, tracing])) as Record<
        `trace.${keyof Config['trace']}`,
        typeof tracing
      >),
      'log.level': (next) => {
        for (const l of [this.log, ...this.childLogs]) l.level = next.log.level;
      },
      'responder.dropRate': (next) => this.responder?.setFaults({ dropRate: next.responder.dropRate }),
      'responder.delayMs': (next) => this.responder?.setFaults({ delayMs: next.responder.delayMs }),
      'responder.jitterMs': (next) => this.responder?.setFaults({ jitterMs: next.responder.jitterMs }),
      // Read on every request (see createApp's `lifecycle`): nothing to hand over.
      'web.enableLifecycle': () => {},
      // Native buckets are kept either way: switching them on serves them whole, with no reset.
      'metrics.nativeHistograms': (next) => this.metrics.setNativeHistograms(next.metrics.nativeHistograms),
      // Counts are kept for dropped series too: served again, they continue where they were.
      'metrics.drop': (next) => this.metrics.setDrop(next.metrics.drop),
    };
  }

  /**
   * The pings on worker threads, each with a scheduler of its own over its share of the targets.
   * The raw sockets stay here and hand each packet to every worker.
   */
  private createShards(workers: number, observer: SchedulerObserver): ShardedScheduler {
    const shards = new ShardedScheduler(
      {
        workers,
        icmp: this.capture !== undefined,
        crashed: (worker, err) => this.log.error({ worker, err }, 'probing worker died; started again on its targets'),
      },
      observer,
    );
    this.capture?.relayTo((family, packet, source) => shards.relayIcmp(family, packet, source));
    this.log.info({ workers }, 'pings run on worker threads');
    return shards;
  }

  /** Path tracing needs the kernel's socket error queue (koffi, Linux) and no privilege. */
  private createTracer(config: Config, options: ServiceOptions, report: SchedulerObserver): PathTracer | undefined {
    const tracer = kernelTracer(config.trace, { clock: this.clock, random: options.random ?? Math.random, report });
    if (tracer instanceof PathTracer) return tracer;
    this.log.warn({ reason: tracer.unavailable }, 'path tracing unavailable: no trace when a target begins to lose pings');
    return undefined;
  }

  /** Rounds skipped are logged a few per 10 s, the rest summed up: a process far behind would log one per target per round. */
  private skippedRounds(log: Logger, workers: number): LogSummary {
    // On one event loop the usual cause is too many pings a second for one core: say what helps.
    const hint = workers === 0 ? ' (with thousands of targets, one thread may not keep up: see scheduler.workers)' : '';
    const summary = new LogSummary(log, this.clock, `round skipped: the previous round was still running${hint}`, 10_000, 5, 'warn');
    this.logSummaries.push(summary);
    return summary;
  }

  private childLog(component: string): Logger {
    const child = this.log.child({ component });
    this.childLogs.push(child);
    return child;
  }

  private createResponder(config: Config, options: ServiceOptions): Responder {
    const { enabled: _enabled, listen: _listen, ...settings } = config.responder;
    const pingLog = this.childLog('responder');
    // Anyone can cause these at will: a summary per interval, not a line per client.
    const cutOff = new LogSummary(pingLog, this.clock, 'client cut off');
    this.logSummaries.push(cutOff);
    const { responderEvents } = this.metrics;
    const responder = new Responder({
      ...settings,
      clock: this.clock,
      ...(options.random ? { random: options.random } : {}),
      events: {
        ...responderEvents,
        ping: (remote, dropped) => {
          responderEvents.ping?.(remote, dropped);
          if (pingLog.isLevelEnabled('debug')) pingLog.debug({ remote, dropped }, `Ping received from ${remote}`);
        },
        badRequest: (reason, remote) => {
          responderEvents.badRequest?.(reason, remote);
          cutOff.event(reason, { remote });
        },
        evicted: (reason, remote) => {
          responderEvents.evicted?.(reason, remote);
          cutOff.event(`evicted_${reason}`, { remote });
        },
      },
    });
    this.metrics.bindResponder(() => responder.activeConnections);
    return responder;
  }

  private async listen(): Promise<void> {
    const { responder, web } = this.config;
    if (this.responder) {
      const address = await this.responder.listen(responder.listen.host, responder.listen.port);
      this.responderAddress = address;
      this.log.info({ address: formatHostPort({ host: address.address, port: address.port }) }, 'ping responder listening');
    }
    const { maxConnections, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = web;
    const live = this.web;
    this.http = await listenHttp(this.app, web.listenAddress.host, web.listenAddress.port, {
      limits: { maxConnections, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs },
      ...(live ? { web: () => live.get(), tls: live.tlsAtStart } : {}),
      onEvicted: (reason) => this.metrics.webEvictions.inc({ reason }),
    });
    const httpAddress = this.http.address() as AddressInfo;
    this.httpAddress = httpAddress;
    await this.reloader.start();
    this.startMesh(httpAddress.port);
    this.ready = true;
    const where = formatHostPort({ host: httpAddress.address, port: httpAddress.port });
    this.log.info({ web: where, tls: live?.tlsAtStart ?? false, targets: this.targets.list.length, version }, 'tcpping serving');
  }

  private startMesh(webPort: number): void {
    const { mesh } = this.config;
    if (!mesh.enabled) return;
    // Peers take the defaults in force at each discovery, so a reload of `defaults` reaches them too.
    const options = {
      ...mesh,
      selfName: this.selfName,
      webPort,
      defaults: () => this.config.defaults,
      onConflicts: (count: number) => this.metrics.meshNameConflicts.set(count),
    };
    this.mesh = new Mesh(options, this.clock, this.childLog('mesh'), async (targets) => {
      await this.targets.update({ mesh: targets });
    });
    this.mesh.start();
  }

  /**
   * Stops reloads and scheduling, waits at most STOP_GRACE_MS for pings in flight (then aborts
   * them), then closes capture, responder and HTTP.
   */
  async stop(): Promise<void> {
    this.ready = false;
    this.reloader.stop();
    const mesh = this.mesh?.stop();
    await this.scheduler.stop(STOP_GRACE_MS);
    await this.tracer?.stop();
    // A reload or mesh update under way ends once the scheduler's diff has (bounded just above).
    await Promise.all([mesh, this.targets.settled()]);
    this.capture?.stop();
    this.metrics.eventLoopDelay.stop();
    await this.responder?.stop();
    await closeHttp(this.http);
    await this.passwords.close();
    for (const summary of this.logSummaries) summary.flush();
  }
}

/** web.configFile, relative to the config file (or to the working directory for the built-in defaults). */
function webConfigPath(config: Config): string {
  const base = config.source === 'built-in defaults' ? process.cwd() : dirname(resolve(config.source));
  return resolve(base, config.web.configFile);
}
