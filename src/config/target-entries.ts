import { labels as checkLabels, type Target, type TargetSettings, targetSettings } from '../domain/target.js';
import { parseHostPort } from '../util/hostport.js';
import { isMapping, unknownKeyProblem } from './suggest.js';

const targetKeys = ['name', 'address', 'labels', ...Object.keys(targetSettings)] as const;

/** Checks every target entry; returns the targets with defaults applied, and the problems found. */
export function validateTargets(entries: readonly unknown[], defaults: TargetSettings): { targets: Target[]; problems: string[] } {
  const problems: string[] = [];
  const targets: Target[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const at = `targets[${index}]`;
    if (!isMapping(entry)) {
      problems.push(`${at}: must be a mapping with at least "name" and "address"`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(entry)) {
      if (!(targetKeys as readonly string[]).includes(key)) problems.push(unknownKeyProblem(at, key, targetKeys));
    }
    const { name, address } = entry;
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push(`${at}.name: required, a non-empty string`);
    } else if (seen.has(name)) {
      problems.push(`${at}.name: "${name}" is already the name of targets[${seen.get(name)}]`);
    } else {
      seen.set(name, index);
    }
    const parsed = typeof address === 'string' ? parseHostPort(address) : ({ ok: false, error: 'required, a string HOST:PORT' } as const);
    if (!parsed.ok) problems.push(`${at}.address: ${parsed.error}`);
    const labels = entry.labels === undefined ? ({ ok: true, value: {} } as const) : checkLabels(entry.labels);
    if (!labels.ok) problems.push(`${at}.labels: ${labels.error}`);
    const settings: Record<string, unknown> = { ...defaults };
    for (const [key, setting] of Object.entries(targetSettings)) {
      if (!(key in entry)) continue;
      const checked = setting.check(entry[key]);
      if (checked.ok) settings[key] = checked.value;
      else problems.push(`${at}.${key}: ${checked.error}: value was ${JSON.stringify(entry[key])}`);
    }
    if (problems.length === before && parsed.ok && labels.ok) {
      targets.push({
        ...(settings as TargetSettings),
        name: name as string,
        address: address as string,
        ...parsed.value,
        labels: labels.value,
      });
    }
  });
  return { targets, problems };
}
