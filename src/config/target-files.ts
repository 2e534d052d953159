import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Target, TargetSettings } from '../domain/target.js';
import { ConfigError } from '../util/errors.js';
import { parseConfigText } from './load.js';
import { isMapping } from './suggest.js';
import { validateTargets } from './target-entries.js';

/** One file's outcome: a broken file is reported and keeps the targets it last loaded. */
export interface TargetFileState {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly targets: readonly Target[];
}

/** A file name pattern (`*` any run of characters, `?` one) as a regular expression. */
export function globRegExp(name: string): RegExp {
  return new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/**
 * Expands a pattern as Prometheus's file_sd does: only the last path segment may hold `*`/`?`.
 * Relative patterns are taken from `baseDir` (the config file's directory).
 */
export function expandPattern(pattern: string, baseDir: string): string[] {
  const full = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  const dir = dirname(full);
  const last = basename(full);
  if (!/[*?]/.test(last)) return [full];
  const regex = globRegExp(last);
  try {
    return readdirSync(dir)
      .filter((name) => regex.test(name))
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** Reads one file_sd file: `[{ targets: [HOST:PORT, ...], labels: { name?: ..., ... } }]`. */
export function readTargetFile(file: string, defaults: TargetSettings): { targets: Target[]; problems: string[] } {
  let document: unknown;
  try {
    document = parseConfigText(readFileSync(file, 'utf8'), file);
  } catch (error) {
    const problems = error instanceof ConfigError ? [...error.problems] : [`${file}: cannot read the file: ${(error as Error).message}`];
    return { targets: [], problems };
  }
  if (!Array.isArray(document)) return { targets: [], problems: [`${file}: must be a list of {targets: [...], labels: {...}} groups`] };
  const targets: Target[] = [];
  const problems: string[] = [];
  document.forEach((group, g) => {
    if (!isMapping(group) || !Array.isArray(group.targets)) {
      problems.push(`${file}: [${g}]: must be a mapping with a "targets" list`);
      return;
    }
    const list = group.targets as unknown[];
    const { name, ...labels } = isMapping(group.labels) ? group.labels : {};
    // The "name" label names the target; in a group of several, each is "name/address".
    const entries = list.map((address) => ({
      name: typeof name !== 'string' ? address : list.length === 1 ? name : `${name}/${String(address)}`,
      address,
      ...(Object.keys(labels).length > 0 || group.labels !== undefined ? { labels: isMapping(group.labels) ? labels : group.labels } : {}),
    }));
    const checked = validateTargets(entries, defaults);
    targets.push(...checked.targets);
    problems.push(...checked.problems.map((p) => `${file}: [${g}].${p}`));
  });
  return { targets, problems };
}

/** Loads every file the patterns match; a broken file keeps its previous targets. */
export function loadTargetFiles(
  patterns: readonly string[],
  baseDir: string,
  defaults: TargetSettings,
  previous: ReadonlyMap<string, TargetFileState> = new Map(),
): TargetFileState[] {
  const files = [...new Set(patterns.flatMap((p) => expandPattern(p, baseDir)))];
  return files.map((file) => {
    const { targets, problems } = readTargetFile(file, defaults);
    if (problems.length === 0) return { file, ok: true, problems, targets };
    return { file, ok: false, problems, targets: previous.get(file)?.targets ?? [] };
  });
}
