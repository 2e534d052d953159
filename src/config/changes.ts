import type { Config } from './load.js';

/** Settings a running service takes over on reload; every other change needs a restart. */
const live = new Set(['log.level', 'responder.dropRate', 'responder.delayMs', 'responder.jitterMs', 'web.enableLifecycle']);
const sections = ['log', 'responder', 'web', 'icmp', 'mesh'] as const;

/** The keys that differ between two configs, outside targets and defaults (which reload as a diff). */
export function changedKeys(before: Config, after: Config): { live: string[]; restart: string[] } {
  const result = { live: [] as string[], restart: [] as string[] };
  for (const section of sections) {
    const a = before[section] as unknown as Record<string, unknown>;
    const b = after[section] as unknown as Record<string, unknown>;
    for (const key of Object.keys(b)) {
      if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
      const name = `${section}.${key}`;
      (live.has(name) ? result.live : result.restart).push(name);
    }
  }
  return result;
}
