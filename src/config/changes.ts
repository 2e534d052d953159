import type { Config } from './load.js';
import { type LiveKey, settingPaths, valueAt } from './schema.js';

/**
 * The settings that differ between two configs, split by what a reload does with them. Targets and
 * their defaults are left out: they reload as a diff of the target set.
 */
export function changedKeys(before: Config, after: Config): { live: LiveKey[]; restart: string[] } {
  const result = { live: [] as LiveKey[], restart: [] as string[] };
  for (const { path, setting } of settingPaths()) {
    if (setting.reload === 'diff') continue;
    if (JSON.stringify(valueAt(before, path)) === JSON.stringify(valueAt(after, path))) continue;
    if (setting.reload === 'live') result.live.push(path as LiveKey);
    else result.restart.push(path);
  }
  return result;
}
