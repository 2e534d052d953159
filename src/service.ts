import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { changedKeys } from './config/changes.js';
import { type Config, loadConfigFile } from './config/load.js';
import { loadTargetFiles, type TargetFileState } from './config/target-files.js';
import { FileWatcher } from './config/watch.js';
import { createApp } from './http/app.js';
import { closeHttp, listenHttp } from './http/listen.js';
import type { IcmpCapture, OpenRawSocket } from './icmp/capture.js';
import type { PingOwner } from './icmp/match.js';
import { openIcmpSocket } from './icmp/raw.js';
import { setUpCapture } from './icmp/setup.js';
import { type Logger, silentLogger } from './log.js';
import { Mesh } from './mesh/mesh.js';
import { Metrics } from './metrics/metrics.js';
import { defaultProbeContext, type IcmpReport, type ProbeContext, probers } from './probe/index.js';
import { Responder } from './responder/responder.js';
import { fanOut, logObserver } from './scheduler/observers.js';
import type { Resolver } from './scheduler/resolve.js';
import { Scheduler, type TargetDiff } from './scheduler/scheduler.js';
import { StatusBoard } from './status/status.js';
import { TargetSet } from './targets.js';
import { type Clock, type Random, systemClock } from './util/clock.js';
import { ConfigError } from './util/errors.js';
import { formatHostPort } from './util/hostport.js';
import { version } from './version.js';

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
}

export type ReloadResult =
  | {
      readonly ok: true;
      readonly diff: TargetDiff;
      readonly applied: string[];
      readonly needRestart: string[];
      readonly problems: string[];
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/** How long shutdown waits for pings in flight before aborting them. */
const STOP_GRACE_MS = 2000;

/**
 * The composition root of `tcpping serve`: config → metrics → responder → scheduler → HTTP.
 * Signals and exit codes belong to the CLI; this owns start, reload and an orderly stop.
 */
export class Service {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly status: StatusBoard;
  readonly app;
  readonly selfName: string;
  responderAddress: AddressInfo | undefined;
  httpAddress: AddressInfo | undefined;
  private current: Config;
  private readonly clock: Clock;
  private readonly responder: Responder | undefined;
  private readonly scheduler: Scheduler;
  private readonly targets: TargetSet;
  private readonly capture: IcmpCapture | undefined;
  private readonly watcher: FileWatcher | undefined;
  private fileStates = new Map<string, TargetFileState>();
  private mesh: Mesh | undefined;
  private http: Server | undefined;
  private ready = false;

  private constructor(
    config: Config,
    private readonly log: Logger,
    options: ServiceOptions,
  ) {
    this.current = config;
    this.clock = options.clock ?? systemClock;
    this.selfName = config.mesh.selfName || hostname();
    this.registry = options.registry ?? new Registry();
    this.metrics = new Metrics(this.registry, version);
    this.metrics.configLoaded(true, this.clock.wallSeconds());
    this.status = new StatusBoard(this.clock);

    // Throws for icmp.capture "on" without CAP_NET_RAW, before anything listens.
    const icmp = setUpCapture(config.icmp.capture, options.openRawSocket ?? openIcmpSocket, this.clock, `${config.source}: icmp.capture`);
    for (const warning of icmp.warnings) log.warn(warning);
    this.capture = icmp.capture;
    this.metrics.icmpCaptureEnabled.set(this.capture ? 1 : 0);
    if (this.capture) {
      this.capture.onLate = (owner, report) => this.countLateIcmp(owner, report);
      log.info({ families: this.capture.families }, 'ICMP capture on');
    }

    this.responder = config.responder.enabled ? this.createResponder(options) : undefined;
    this.scheduler = new Scheduler(
      {
        clock: this.clock,
        probers,
        probeContext: { ...(options.probeContext ?? defaultProbeContext), ...(this.capture ? { icmp: this.capture } : {}) },
        ...(options.resolver ? { resolver: options.resolver } : {}),
      },
      fanOut(this.metrics.schedulerObserver, this.status.observer, logObserver(log)),
    );
    this.targets = new TargetSet(this.scheduler, this.metrics, this.status);
    this.watcher = options.watchFiles && this.fromFile ? new FileWatcher(() => void this.reload('file change')) : undefined;
    this.app = createApp({
      metrics: this.metrics,
      status: this.status,
      version,
      selfName: this.selfName,
      ready: () => this.ready,
      lifecycle: () => this.current.web.enableLifecycle,
      reload: () => this.reload('POST /-/reload'),
      onError: (err, req) => log.error({ err, path: req.path }, 'HTTP request failed'),
    });
  }

  get config(): Config {
    return this.current;
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

  private createResponder(options: ServiceOptions): Responder {
    const { dropRate, delayMs, jitterMs, maxLineBytes, idleTimeoutMs, maxConnections } = this.current.responder;
    const pingLog = this.log.child({ component: 'responder' });
    const responder = new Responder({
      dropRate,
      delayMs,
      jitterMs,
      maxLineBytes,
      idleTimeoutMs,
      maxConnections,
      clock: this.clock,
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
    this.metrics.bindResponder(() => responder.activeConnections);
    return responder;
  }

  private async listen(): Promise<void> {
    const { responder, web } = this.current;
    if (this.responder) {
      this.responderAddress = await this.responder.listen(responder.listen.host, responder.listen.port);
      this.log.info(
        { address: formatHostPort({ host: this.responderAddress.address, port: this.responderAddress.port }) },
        'ping responder listening',
      );
    }
    this.http = await listenHttp(this.app, web.listenAddress.host, web.listenAddress.port);
    this.httpAddress = this.http.address() as AddressInfo;
    const { problems } = await this.applyTargets();
    for (const problem of problems) this.log.warn(problem);
    this.startMesh();
    this.watcher?.watch(this.watchedFiles());
    this.ready = true;
    this.log.info(
      { web: formatHostPort({ host: this.httpAddress.address, port: this.httpAddress.port }), targets: this.targets.list.length, version },
      'tcpping serving',
    );
  }

  private get fromFile(): boolean {
    return this.current.source !== 'built-in defaults';
  }

  private get baseDir(): string {
    return this.fromFile ? dirname(resolve(this.current.source)) : process.cwd();
  }

  private watchedFiles(): string[] {
    return [resolve(this.current.source), ...this.current.targetFiles.map((p) => resolve(this.baseDir, p))];
  }

  /** Reads the target files and applies config and file targets together as one diff. */
  private async applyTargets(): Promise<{ diff: TargetDiff; problems: string[] }> {
    const states = loadTargetFiles(this.current.targetFiles, this.baseDir, this.current.defaults, this.fileStates);
    this.fileStates = new Map(states.map((s) => [s.file, s]));
    for (const state of states) this.metrics.targetFileLoaded.set({ file: state.file }, state.ok ? 1 : 0);
    const { diff, clashes } = await this.targets.update({ config: this.current.targets, files: states.flatMap((s) => s.targets) });
    return { diff, problems: [...states.flatMap((s) => s.problems), ...clashes] };
  }

  private startMesh(): void {
    const { mesh, defaults } = this.current;
    if (!mesh.enabled || !this.httpAddress) return;
    const options = { ...mesh, selfName: this.selfName, webPort: this.httpAddress.port, defaults };
    this.mesh = new Mesh(options, this.clock, this.log.child({ component: 'mesh' }), async (targets) => {
      await this.targets.update({ mesh: targets });
    });
    this.mesh.start();
  }

  /**
   * Re-reads the config file and applies it as a diff. An invalid file changes nothing: the old
   * config keeps running and the problems are returned (and logged, and exported as 0 on
   * tcpping_config_last_reload_successful).
   */
  async reload(trigger: string): Promise<ReloadResult> {
    if (!this.fromFile) return { ok: false, problems: ['no config file to reload: the service runs on its built-in defaults'] };
    let next: Config;
    try {
      next = loadConfigFile(this.current.source);
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [`${this.current.source}: ${String(error)}`];
      this.metrics.configLoaded(false, this.clock.wallSeconds());
      this.log.error({ trigger, problems }, 'configuration reload failed; the running configuration stays');
      return { ok: false, problems };
    }
    const { live, restart } = changedKeys(this.current, next);
    this.current = next;
    this.log.level = next.log.level;
    this.responder?.setFaults(next.responder);
    const { diff, problems } = await this.applyTargets();
    this.watcher?.watch(this.watchedFiles());
    this.metrics.configLoaded(true, this.clock.wallSeconds());
    for (const problem of problems) this.log.warn(problem);
    if (restart.length > 0) this.log.warn({ keys: restart }, 'these settings changed but take effect only after a restart');
    this.log.info({ trigger, ...diff, applied: live }, 'configuration reloaded');
    return { ok: true, diff, applied: live, needRestart: restart, problems };
  }

  /** Stops scheduling, waits (bounded) for pings in flight, then closes capture, responder and HTTP. */
  async stop(): Promise<void> {
    this.ready = false;
    this.watcher?.close();
    await this.mesh?.stop();
    await this.scheduler.stop(STOP_GRACE_MS);
    this.capture?.stop();
    await this.responder?.stop();
    await closeHttp(this.http);
  }

  /**
   * An ICMP error that came after its ping had already ended still counts for the target. The
   * probe knows the host and port it pinged, not the target's name; with two targets on the same
   * address the first one gets it.
   */
  private countLateIcmp(owner: PingOwner, report: IcmpReport): void {
    const target = this.targets.byAddress(owner.host, owner.port);
    if (target) this.metrics.recordIcmp(target.name, report);
  }
}
