import { labels as checkLabels, type Target, type TargetSettings, targetSettings } from '../domain/target.js';
import { deepFreeze } from '../util/freeze.js';
import { parseHostPort } from '../util/hostport.js';
import { sameValue } from '../util/same-value.js';
import { isMapping, unknownKeyProblem } from './suggest.js';

const targetKeys = ['name', 'address', 'labels', ...Object.keys(targetSettings)] as const;
/** The labels of every target that sets none: one frozen object, not 56 bytes a target. */
const noLabels: Readonly<Record<string, string>> = Object.freeze({});

/** Entries checked between two turns of the event loop when a running service reloads (about 1 ms of work). */
export const ENTRIES_PER_STEP = 100;

/**
 * What a step of validateTargetSteps waits for: a turn of the event loop, or (`pieces` given) the
 * next piece of the list of entries, sent in with the generator's next().
 */
export type TargetStep = 'step' | 'more';

export interface CheckedTargets {
  readonly targets: Target[];
  readonly problems: string[];
}

/** Checks every target entry; returns the targets with defaults applied (each frozen), and the problems found. */
export function validateTargets(entries: readonly unknown[], defaults: TargetSettings): CheckedTargets {
  const steps = validateTargetSteps(entries, defaults);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * validateTargets in steps of ENTRIES_PER_STEP entries, so a caller can let the event loop turn
 * between them. With `pieces`, the list goes on in that many more pieces, each asked for once the
 * entries before it are checked ('more'): a piece of a large file is dropped, young, once checked,
 * where the whole list kept 10,000 entries alive to the end (the scavenge that moved them out of
 * the young generation held the loop 6–7 ms). A target equal to one of `previous` (the running
 * config's) is given as that very object, and the one just built is dropped young: reloading
 * 10,000 targets with one added kept 3 MiB of new, equal targets alive to the end, paid for in
 * scavenges of 4–7 ms. The scheduler then tells them unchanged at a glance.
 */
export function* validateTargetSteps(
  entries: readonly unknown[],
  defaults: TargetSettings,
  previous: readonly Target[] = [],
  pieces = 0,
): Generator<TargetStep, CheckedTargets, unknown[] | undefined> {
  const checked: CheckedTargets = { targets: [], problems: [] };
  const seen = new Map<string, number>();
  // Where a config keeps its order (most edits do) the previous target is at the same index;
  // the others are looked up by name at the end, the map built a step at a time.
  const moved: number[] = [];
  let list = entries;
  let offset = 0;
  let piecesLeft = pieces;
  for (let index = 0; ; index++) {
    while (index - offset >= list.length && piecesLeft > 0) {
      piecesLeft--;
      offset += list.length;
      list = (yield 'more') ?? [];
    }
    if (index - offset >= list.length) break;
    if (index > 0 && index % ENTRIES_PER_STEP === 0) yield 'step';
    const target = checkEntry(list[index - offset], index, defaults, seen, checked.problems);
    if (target === undefined) continue;
    const same = previous[index];
    if (same?.name === target.name) checked.targets.push(sameValue(same, target) ? same : deepFreeze(target));
    else {
      if (previous.length > 0) moved.push(checked.targets.length);
      checked.targets.push(deepFreeze(target));
    }
  }
  if (moved.length === 0) return checked;
  const byName = new Map<string, Target>();
  for (const [index, target] of previous.entries()) {
    if (index > 0 && index % (10 * ENTRIES_PER_STEP) === 0) yield 'step';
    byName.set(target.name, target);
  }
  for (const [step, index] of moved.entries()) {
    if (step > 0 && step % ENTRIES_PER_STEP === 0) yield 'step';
    const target = checked.targets[index] as Target;
    const found = byName.get(target.name);
    if (found !== undefined && sameValue(found, target)) checked.targets[index] = found;
  }
  return checked;
}

/** The target `entry` gives, with defaults applied (not yet frozen); undefined, and `problems` added to, when it has any. */
function checkEntry(
  entry: unknown,
  index: number,
  defaults: TargetSettings,
  seen: Map<string, number>,
  problems: string[],
): Target | undefined {
  const at = `targets[${index}]`;
  if (!isMapping(entry)) {
    problems.push(`${at}: must be a mapping with at least "name" and "address"`);
    return undefined;
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
  const labels = entry.labels === undefined ? ({ ok: true, value: noLabels } as const) : checkLabels(entry.labels);
  if (!labels.ok) problems.push(`${at}.labels: ${labels.error}`);
  const settings: Record<string, unknown> = { ...defaults };
  for (const [key, setting] of Object.entries(targetSettings)) {
    if (!(key in entry)) continue;
    const checked = setting.check(entry[key]);
    if (checked.ok) settings[key] = checked.value;
    else problems.push(`${at}.${key}: ${checked.error}: value was ${JSON.stringify(entry[key])}`);
  }
  if (problems.length !== before || !parsed.ok || !labels.ok) return undefined;
  // One literal with every key, in one order: every target has one hidden class and its fields in
  // the object. A spread gave every target a hidden class of its own (about 300 bytes of map and
  // descriptors a target); Object.assign onto {} kept 9 of the 13 fields in a second array (88 bytes).
  const s = settings as TargetSettings;
  return {
    mode: s.mode,
    count: s.count,
    intervalMs: s.intervalMs,
    pingIntervalMs: s.pingIntervalMs,
    timeoutMs: s.timeoutMs,
    reuseConnection: s.reuseConnection,
    degradedLossRatio: s.degradedLossRatio,
    family: s.family,
    name: name as string,
    address: address as string,
    host: parsed.value.host,
    port: parsed.value.port,
    labels: labels.value,
  };
}
