import { labels as checkLabels, type Target, type TargetSettings, targetSettings } from '../domain/target.js';
import { deepFreeze } from '../util/freeze.js';
import { parseHostPort } from '../util/hostport.js';
import { isMapping, unknownKeyProblem } from './suggest.js';

const targetKeys = ['name', 'address', 'labels', ...Object.keys(targetSettings)] as const;

/** Entries checked between two turns of the event loop when a running service reloads (about 1 ms of work). */
export const ENTRIES_PER_STEP = 100;

export interface CheckedTargets {
  readonly targets: Target[];
  readonly problems: string[];
}

/** Checks every target entry; returns the targets with defaults applied (each frozen), and the problems found. */
export function validateTargets(entries: readonly unknown[], defaults: TargetSettings): CheckedTargets {
  const steps = validateTargetSteps(entries, defaults);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** validateTargets in steps of ENTRIES_PER_STEP entries, so a caller can let the event loop turn between them. */
export function* validateTargetSteps(entries: readonly unknown[], defaults: TargetSettings): Generator<void, CheckedTargets> {
  const checked: CheckedTargets = { targets: [], problems: [] };
  const seen = new Map<string, number>();
  for (let index = 0; index < entries.length; index++) {
    if (index > 0 && index % ENTRIES_PER_STEP === 0) yield;
    checkEntry(entries[index], index, defaults, seen, checked);
  }
  return checked;
}

function checkEntry(entry: unknown, index: number, defaults: TargetSettings, seen: Map<string, number>, into: CheckedTargets): void {
  const { problems, targets } = into;
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
    // Object.assign, not a spread: V8's optimized object spread gave every target a hidden class of
    // its own (measured: about 300 bytes of map and descriptors per target, and slower code reading them).
    const target: Target = Object.assign({}, settings as TargetSettings, {
      name: name as string,
      address: address as string,
      ...parsed.value,
      labels: labels.value,
    });
    targets.push(deepFreeze(target));
  }
}
