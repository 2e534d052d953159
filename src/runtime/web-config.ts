import { statSync } from 'node:fs';
import { loadWebFile, type WebFile } from '../config/web-file.js';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** What a re-read of the web config reports (the metrics export it). */
export interface WebConfigEvents {
  webConfigLoaded(ok: boolean): void;
}

/**
 * The web config file in force, re-read when it or a file it names (certificate, key, client CA)
 * changes, as exporter-toolkit re-reads it on every request: certificates renewed on disk and
 * users added are picked up without a restart. Each request or new connection costs a stat() per
 * file; the file is parsed only when one changed. A broken file is reported once and the last good
 * one stays in force (like a broken config file on reload). Whether TLS is on is decided at start.
 */
export class LiveWebConfig {
  private stamp: string;
  /** TLS on at start stays on (and off stays off): switching needs a restart, as in exporter-toolkit. */
  readonly tlsAtStart: boolean;

  private constructor(
    private current: WebFile,
    private readonly log: Logger,
    private readonly events: WebConfigEvents,
  ) {
    this.stamp = stampOf(current.files);
    this.tlsAtStart = current.tls !== null;
  }

  /** Reads the file at start: a broken one refuses the start, naming every problem. */
  static start(path: string, log: Logger, events: WebConfigEvents): LiveWebConfig {
    const live = new LiveWebConfig(loadWebFile(path), log, events);
    events.webConfigLoaded(true);
    return live;
  }

  /** The config in force now, re-read first if a file changed. */
  get(): WebFile {
    const stamp = stampOf(this.current.files);
    if (stamp === this.stamp) return this.current;
    this.stamp = stamp;
    try {
      const next = loadWebFile(this.current.source);
      if ((next.tls !== null) !== this.tlsAtStart) {
        this.log.warn({ file: next.source }, 'web config: turning TLS on or off takes effect only after a restart');
      }
      this.current = next;
      this.stamp = stampOf(next.files);
      this.events.webConfigLoaded(true);
      this.log.info({ file: next.source, users: next.users.size, tls: next.tls !== null }, 'web config reloaded');
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [String(error)];
      this.events.webConfigLoaded(false);
      this.log.error({ problems }, 'web config reload failed; the last good one stays in force');
    }
    return this.current;
  }
}

/** Identity and version of each file; a file that cannot be read counts as a change when it comes back. */
function stampOf(files: readonly string[]): string {
  return files
    .map((file) => {
      try {
        const s = statSync(file);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
