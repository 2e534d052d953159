import type { ProbeMode } from '../probe/types.js';
import type { AddressFamily } from '../scheduler/resolve.js';
import { parseHostPort } from '../util/hostport.js';
import { type Check, checkLabels, targetSettingChecks } from './formats.js';
import { isMapping, unknownKeyProblem } from './keys.js';

export interface TargetSettings {
  readonly mode: ProbeMode;
  readonly count: number;
  readonly intervalMs: number;
  readonly pingIntervalMs: number;
  readonly timeoutMs: number;
  readonly reuseConnection: boolean;
  readonly family: AddressFamily;
}

export interface TargetConfig extends TargetSettings {
  readonly name: string;
  /** As written in the configuration. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** User labels, exported on tcpping_target_info. */
  readonly labels: Readonly<Record<string, string>>;
}

const targetKeys = ['name', 'address', 'labels', ...Object.keys(targetSettingChecks)] as const;

/** Checks every target entry; returns the targets with defaults applied, or the problems found. */
export function validateTargets(entries: readonly unknown[], defaults: TargetSettings): { targets: TargetConfig[]; problems: string[] } {
  const problems: string[] = [];
  const targets: TargetConfig[] = [];
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
    const parsed = typeof address === 'string' ? parseHostPort(address) : 'required, a string HOST:PORT';
    if (typeof parsed === 'string') problems.push(`${at}.address: ${parsed}`);
    const labelProblem = entry.labels === undefined ? undefined : checkLabels(entry.labels);
    if (labelProblem) problems.push(`${at}.labels: ${labelProblem}`);
    const settings: Record<string, unknown> = { ...defaults };
    for (const [key, check] of Object.entries(targetSettingChecks) as [string, Check][]) {
      if (!(key in entry)) continue;
      try {
        check(entry[key]);
        settings[key] = entry[key];
      } catch (error) {
        problems.push(`${at}.${key}: ${(error as Error).message}: value was ${JSON.stringify(entry[key])}`);
      }
    }
    if (problems.length === before && typeof parsed !== 'string') {
      const labels = (entry.labels ?? {}) as Record<string, string>;
      targets.push({ ...(settings as unknown as TargetSettings), name: name as string, address: address as string, ...parsed, labels });
    }
  });
  return { targets, problems };
}
