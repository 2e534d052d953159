import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { type Config, loadConfigFile } from './load.js';
import { expandPattern, loadTargetFiles } from './target-files.js';

/** What `tcpping check-config` found in one config file and the target files it names. */
export interface CheckReport {
  readonly config?: Config;
  /** Each names its file and key; any one of them stops the service from starting or a file from loading. */
  readonly problems: readonly string[];
  /** The service runs, but not as the file suggests (a pattern matching no file, a target defined twice). */
  readonly warnings: readonly string[];
  readonly configTargets: number;
  readonly fileTargets: number;
  readonly files: number;
}

/**
 * Everything the service would load at start, checked as the service checks it (environment
 * variables included): the config file, then every target file its targetFiles patterns match.
 * As promtool treats file_sd files, a pattern that matches no file is a warning, a broken file a problem.
 */
export async function checkConfigFile(path: string, env: Record<string, string | undefined> = process.env): Promise<CheckReport> {
  let config: Config;
  try {
    config = loadConfigFile(path, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.problems, warnings: [], configTargets: 0, fileTargets: 0, files: 0 };
  }
  const baseDir = dirname(resolve(path));
  const warnings: string[] = [];
  for (const pattern of config.targetFiles) {
    if (expandPattern(pattern, baseDir).length === 0) warnings.push(`${path}: targetFiles: "${pattern}" matches no file`);
  }
  const states = await loadTargetFiles(config.targetFiles, baseDir, config.defaults);
  const problems: string[] = [];
  for (const state of states) {
    if (existsSync(state.file)) problems.push(...state.problems);
    else warnings.push(`${path}: targetFiles: ${state.file} does not exist (yet)`);
  }
  // The service keeps the first of two targets with one name (the config's before the files').
  const seen = new Map(config.targets.map((t) => [t.name, path]));
  for (const state of states) {
    for (const target of state.targets) {
      const first = seen.get(target.name);
      if (first !== undefined)
        warnings.push(`${state.file}: target "${target.name}" is already defined in ${first}; the first one is kept`);
      else seen.set(target.name, state.file);
    }
  }
  const fileTargets = states.reduce((n, s) => n + s.targets.length, 0);
  return { config, problems, warnings, configTargets: config.targets.length, fileTargets, files: states.length };
}
