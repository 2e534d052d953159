import { readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Target, TargetSettings } from '../domain/target.js';
import { ConfigError } from '../util/errors.js';
import { Pace } from '../util/pace.js';
import { parseConfigBytesAsync } from './load.js';
import { readConfigBytes } from './read-file.js';
import { isMapping } from './suggest.js';
import { ENTRIES_PER_STEP, validateTargets } from './target-entries.js';

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

/** More targets than one service should run from one file; a list this long is a mistake or an attack. */
export const MAX_TARGETS_PER_FILE = 10_000;

/** Reads one file_sd file: `[{ targets: [HOST:PORT, ...], labels: { name?: ..., ... } }]`. */
export async function readTargetFile(file: string, defaults: TargetSettings): Promise<{ targets: Target[]; problems: string[] }> {
  const bytes = readConfigBytes(file);
  if (!bytes.ok) return { targets: [], problems: [`${file}: ${bytes.error}`] };
  let document: unknown;
  try {
    document = await parseConfigBytesAsync(bytes.value, file);
  } catch (error) {
    const problems = error instanceof ConfigError ? [...error.problems] : [`${file}: ${(error as Error).message}`];
    return { targets: [], problems };
  }
  if (!Array.isArray(document)) return { targets: [], problems: [`${file}: must be a list of {targets: [...], labels: {...}} groups`] };
  // Counted before anything is checked: checking 200,000 entries would itself hold up the pings.
  const count = document.reduce((n: number, g) => n + (isMapping(g) && Array.isArray(g.targets) ? g.targets.length : 1), 0);
  if (count > MAX_TARGETS_PER_FILE) {
    return { targets: [], problems: [`${file}: ${count} targets; at most ${MAX_TARGETS_PER_FILE} per file (split it into several files)`] };
  }
  const targets: Target[] = [];
  const problems: string[] = [];
  const pace = new Pace();
  let sinceTurn = 0;
  for (const [g, group] of document.entries()) {
    if (!isMapping(group) || !Array.isArray(group.targets)) {
      problems.push(`${file}: [${g}]: must be a mapping with a "targets" list`);
      continue;
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
    // A file of 10,000 targets is checked with the event loop free every ENTRIES_PER_STEP of them.
    sinceTurn += entries.length;
    if (sinceTurn >= ENTRIES_PER_STEP) {
      sinceTurn = 0;
      await pace.pause();
    }
  }
  return { targets, problems };
}

/** Loads every file the patterns match; a broken file keeps its previous targets. */
export async function loadTargetFiles(
  patterns: readonly string[],
  baseDir: string,
  defaults: TargetSettings,
  previous: ReadonlyMap<string, TargetFileState> = new Map(),
): Promise<TargetFileState[]> {
  const files = [...new Set(patterns.flatMap((p) => expandPattern(p, baseDir)))];
  const states: TargetFileState[] = [];
  // One after another: the worker parses one document at a time anyway.
  for (const file of files) {
    const { targets, problems } = await readTargetFile(file, defaults);
    if (problems.length === 0) states.push({ file, ok: true, problems, targets });
    else states.push({ file, ok: false, problems, targets: previous.get(file)?.targets ?? [] });
  }
  return states;
}
