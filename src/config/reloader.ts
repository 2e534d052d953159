import { dirname, resolve } from 'node:path';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TargetDiff } from '../scheduler/scheduler.js';
import type { TargetSet } from '../targets.js';
import type { Clock } from '../util/clock.js';
import { ConfigError } from '../util/errors.js';
import { changedKeys } from './changes.js';
import { type Config, loadConfigFile } from './load.js';
import { loadTargetFiles, type TargetFileState } from './target-files.js';
import { FileWatcher } from './watch.js';

export type ReloadResult =
  | {
      readonly ok: true;
      readonly diff: TargetDiff;
      readonly applied: string[];
      readonly needRestart: string[];
      readonly problems: string[];
    }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface ReloaderDeps {
  readonly targets: TargetSet;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: Clock;
  /** Takes over the settings that change live (log level, responder faults). */
  readonly applyLive: (next: Config) => void;
  /** Reload when the config file or a target file changes. */
  readonly watchFiles: boolean;
}

/**
 * The running configuration and how it changes: target files read and applied together with the
 * config's targets as one diff, reloads (SIGHUP, POST /-/reload, a watched file), and the
 * reload metrics. An invalid file changes nothing.
 */
export class Reloader {
  private fileStates = new Map<string, TargetFileState>();
  private readonly watcher: FileWatcher | undefined;
  private stopped = false;

  constructor(
    private current: Config,
    private readonly deps: ReloaderDeps,
  ) {
    this.watcher =
      deps.watchFiles && this.fromFile
        ? new FileWatcher(() => {
            void this.reload('file change');
          })
        : undefined;
  }

  get config(): Config {
    return this.current;
  }

  /** The first application of the targets, at start. */
  async start(): Promise<void> {
    const { problems } = await this.applyTargets();
    for (const problem of problems) this.deps.log.warn(problem);
    this.watcher?.watch(this.watchedFiles());
  }

  /**
   * Re-reads the config file and applies it as a diff. An invalid file changes nothing: the old
   * config keeps running and the problems are returned (and logged, and exported as 0 on
   * tcpping_config_last_reload_successful). Never throws.
   */
  async reload(trigger: string): Promise<ReloadResult> {
    const { log, metrics, clock } = this.deps;
    if (this.stopped) return { ok: false, problems: ['shutting down'] };
    if (!this.fromFile) return { ok: false, problems: ['no config file to reload: the service runs on its built-in defaults'] };
    try {
      const next = loadConfigFile(this.current.source);
      const { live, restart } = changedKeys(this.current, next);
      this.current = next;
      this.deps.applyLive(next);
      const { diff, problems } = await this.applyTargets();
      this.watcher?.watch(this.watchedFiles());
      metrics.configLoaded(true, clock.wallSeconds());
      for (const problem of problems) log.warn(problem);
      if (restart.length > 0) log.warn({ keys: restart }, 'these settings changed but take effect only after a restart');
      log.info({ trigger, ...diff, applied: live }, 'configuration reloaded');
      return { ok: true, diff, applied: live, needRestart: restart, problems };
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [`${this.current.source}: ${String(error)}`];
      metrics.configLoaded(false, clock.wallSeconds());
      log.error({ trigger, problems }, 'configuration reload failed; the running configuration stays');
      return { ok: false, problems };
    }
  }

  /** No reload starts after this; one under way is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    await this.deps.targets.settled();
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
    for (const state of states) this.deps.metrics.targetFileLoaded.set({ file: state.file }, state.ok ? 1 : 0);
    const files = states.flatMap((s) => s.targets);
    const { diff, clashes } = await this.deps.targets.update({ config: this.current.targets, files });
    return { diff, problems: [...states.flatMap((s) => s.problems), ...clashes] };
  }
}
