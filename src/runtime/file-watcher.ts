import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { globRegExp } from '../config/target-files.js';

/**
 * Watches files for changes and calls `onChange` once things settle. Directories are watched,
 * not the files: editors and Kubernetes ConfigMaps replace a file by renaming a new one over it,
 * which a watch on the old file would never see.
 */
export class FileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: () => void,
    private readonly debounceMs = 500,
  ) {}

  /** `patterns`: file paths whose last segment may hold a glob; each directory is watched once. */
  watch(patterns: readonly string[]): void {
    // Only the watchers are replaced: a change seen while a reload ran must still trigger the next.
    for (const w of this.watchers.splice(0)) w.close();
    const byDir = new Map<string, RegExp[]>();
    for (const pattern of patterns) {
      const list = byDir.get(dirname(pattern)) ?? [];
      list.push(globRegExp(basename(pattern)));
      byDir.set(dirname(pattern), list);
    }
    for (const [dir, names] of byDir) {
      try {
        const watcher = watch(dir, (_event, file) => {
          // ConfigMaps swap a "..data" symlink; any event without a matching name may be that.
          if (file === null || names.some((n) => n.test(String(file))) || String(file).startsWith('..')) this.changed();
        });
        watcher.on('error', () => {});
        watcher.unref();
        this.watchers.push(watcher);
      } catch {
        // A directory that does not exist yet: nothing to watch; a reload picks it up later.
      }
    }
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onChange, this.debounceMs);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers.splice(0)) w.close();
  }
}
