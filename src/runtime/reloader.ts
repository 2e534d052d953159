import { dirname, resolve } from 'node:path';
import { changedKeys } from '../config/changes.js';
import { type Config, loadConfigFileAsync } from '../config/load.js';
import type { LiveKey } from '../config/schema.js';
import { loadTargetFiles, type TargetFileState } from '../config/target-files.js';
import type { TargetDiff } from '../scheduler/scheduler.js';
import type { Clock } from '../util/clock.js';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { FileWatcher } from './file-watcher.js';
import { fingerprint } from './fingerprint.js';
import type { TargetSet } from './target-set.js';

/** Names of added, removed and changed targets a reload's log line gives, of each at most. */
export const LOGGED_NAMES = 20;

/**
 * A diff as the reload's log line gives it: the targets added, removed and changed by name (the
 * first LOGGED_NAMES of each, then how many more), the unchanged ones counted. Every name was one
 * line of 200 kB at each reload of 10,000 targets (2–3 ms of the event loop to write it).
 */
export function diffForLog(diff: TargetDiff): { added: string[]; removed: string[]; changed: string[]; unchanged: number } {
  const some = (names: readonly string[]) =>
    names.length <= LOGGED_NAMES ? [...names] : [...names.slice(0, LOGGED_NAMES), `… and ${names.length - LOGGED_NAMES} more`];
  return { added: some(diff.added), removed: some(diff.removed), changed: some(diff.changed), unchanged: diff.unchanged.length };
}

/** Reloads that follow one another start at least this far apart (the first of a burst at once). */
export const MIN_RELOAD_GAP_MS = 1000;

export type ReloadResult =
  | {
      readonly ok: true;
      readonly diff: TargetDiff;
      readonly applied: LiveKey[];
      readonly needRestart: string[];
      readonly problems: string[];
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The last load of the config (at start) or reload, as the status page shows it. */
export interface LoadState {
  readonly ok: boolean;
  /** Unix seconds. */
  readonly atSeconds: number;
  readonly trigger: string;
  /** Why it failed, or the target files that did not load. */
  readonly problems: readonly string[];
}

/** What a reload reports (the metrics export it). */
export interface ReloadEvents {
  configLoaded(success: boolean, wallSeconds: number): void;
  /** Every target file the last load read; series of files no longer there go. */
  targetFilesLoaded(files: readonly { readonly file: string; readonly ok: boolean }[]): void;
}

/** How the running service takes over each setting whose reload is live; one entry per live key, checked by the compiler. */
export type LiveAppliers = { readonly [K in LiveKey]: (next: Config) => void };

export interface ReloaderDeps {
  readonly targets: TargetSet;
  readonly events: ReloadEvents;
  readonly log: Logger;
  readonly clock: Clock;
  readonly live: LiveAppliers;
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
  private loaded: LoadState;
  private readonly watcher: FileWatcher | undefined;
  private stopped = false;
  /** The reload under way, and the one that will follow it: a burst of triggers is at most these two. */
  private running: Promise<ReloadResult> | undefined;
  private next: Promise<ReloadResult> | undefined;
  private lastEndMs = Number.NEGATIVE_INFINITY;
  /** What the running configuration was read from, and the problems its target files had. */
  private applied = { print: '', problems: [] as string[] };

  constructor(
    private current: Config,
    private readonly deps: ReloaderDeps,
  ) {
    this.loaded = { ok: true, atSeconds: deps.clock.wallSeconds(), trigger: 'start', problems: [] };
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

  get lastLoad(): LoadState {
    return this.loaded;
  }

  /** The first application of the targets, at start. */
  async start(): Promise<void> {
    const print = this.fromFile ? await this.print() : '';
    const { problems } = await this.applyTargets();
    this.applied = { print, problems };
    this.loaded = { ...this.loaded, problems };
    for (const problem of problems) this.deps.log.warn(problem);
    this.watcher?.watch(this.watchedFiles());
  }

  /**
   * Re-reads the config file and applies it as a diff. An invalid file changes nothing: the old
   * config keeps running and the problems are returned (and logged, and exported as 0 on
   * tcpping_config_last_reload_successful). Never throws.
   *
   * Reloads are coalesced: while one runs, or within MIN_RELOAD_GAP_MS of the last, every further
   * trigger (300 SIGHUPs, a POST storm, an editor's burst of file events) shares one more reload,
   * which reads the files as they are by then. Nothing that changed is missed, no work piles up,
   * and a storm costs at most one reload (tens of ms at 1,000 targets) a second.
   */
  reload(trigger: string): Promise<ReloadResult> {
    if (this.stopped) return Promise.resolve({ ok: false, problems: ['shutting down'] });
    if (this.next) return this.next;
    const waitMs = this.lastEndMs + MIN_RELOAD_GAP_MS - this.deps.clock.nowMs();
    if (!this.running && waitMs <= 0) return this.startReload(trigger);
    const next = (this.running ?? Promise.resolve())
      .then(() => this.pause())
      .then(() => {
        this.next = undefined;
        return this.startReload(trigger);
      });
    this.next = next;
    return next;
  }

  /** Until MIN_RELOAD_GAP_MS after the last reload ended. */
  private pause(): Promise<void> {
    const waitMs = this.lastEndMs + MIN_RELOAD_GAP_MS - this.deps.clock.nowMs();
    return waitMs <= 0 ? Promise.resolve() : new Promise((resolve) => this.deps.clock.setTimeout(resolve, waitMs));
  }

  private startReload(trigger: string): Promise<ReloadResult> {
    if (this.stopped) return Promise.resolve({ ok: false, problems: ['shutting down'] });
    const run = this.reloadNow(trigger).finally(() => {
      this.lastEndMs = this.deps.clock.nowMs();
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async reloadNow(trigger: string): Promise<ReloadResult> {
    const { log, events, clock } = this.deps;
    if (!this.fromFile) return { ok: false, problems: ['no config file to reload: the service runs on its built-in defaults'] };
    try {
      const print = await this.print();
      if (print === this.applied.print) {
        // Nothing to read that was not read before: the storm's common case costs this much only.
        events.configLoaded(true, clock.wallSeconds());
        this.loaded = { ok: true, atSeconds: clock.wallSeconds(), trigger, problems: this.applied.problems };
        const diff = { added: [], removed: [], changed: [], unchanged: this.deps.targets.list.map((t) => t.name) };
        log.info({ trigger, filesUnchanged: true, ...diffForLog(diff) }, 'configuration reloaded');
        return { ok: true, diff, applied: [], needRestart: [], problems: this.applied.problems };
      }
      const next = await loadConfigFileAsync(this.current.source, process.env, this.current.targets);
      if (this.stopped) return { ok: false, problems: ['shutting down'] };
      const { live, restart } = changedKeys(this.current, next);
      this.current = next;
      for (const key of live) this.deps.live[key](next);
      const { diff, problems } = await this.applyTargets();
      this.applied = { print, problems };
      if (!this.stopped) this.watcher?.watch(this.watchedFiles());
      events.configLoaded(true, clock.wallSeconds());
      this.loaded = { ok: true, atSeconds: clock.wallSeconds(), trigger, problems };
      for (const problem of problems) log.warn(problem);
      if (restart.length > 0) log.warn({ keys: restart }, 'these settings changed but take effect only after a restart');
      log.info({ trigger, ...diffForLog(diff), applied: live }, 'configuration reloaded');
      return { ok: true, diff, applied: live, needRestart: restart, problems };
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [`${this.current.source}: ${String(error)}`];
      events.configLoaded(false, clock.wallSeconds());
      this.loaded = { ok: false, atSeconds: clock.wallSeconds(), trigger, problems };
      log.error({ trigger, problems }, 'configuration reload failed; the running configuration stays');
      return { ok: false, problems };
    }
  }

  /** No reload starts after this. One under way is not waited for: the scheduler's stop bounds it. */
  stop(): void {
    this.stopped = true;
    this.watcher?.close();
  }

  private print(): Promise<string> {
    return fingerprint(this.current.source, this.current.targetFiles, this.baseDir);
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
    const states = await loadTargetFiles(this.current.targetFiles, this.baseDir, this.current.defaults, this.fileStates);
    this.fileStates = new Map(states.map((s) => [s.file, s]));
    this.deps.events.targetFilesLoaded(states);
    const files = states.flatMap((s) => s.targets);
    const { diff, clashes } = await this.deps.targets.update({ config: this.current.targets, files });
    return { diff, problems: [...states.flatMap((s) => s.problems), ...clashes] };
  }
}
