import type { Check } from './checks.js';

/**
 * What a reload does with a changed setting: `live`, taken over at once; `diff`, applied as part of
 * the target diff (targets and their defaults); `restart`, reported as needing a restart.
 */
export type Reload = 'live' | 'diff' | 'restart';

/**
 * The one description of a setting: its meaning, default (as written in a file), check and what a
 * reload does with it. Types, validation, environment variables, defaults used elsewhere, reload
 * rules and the README's table are all derived from these.
 */
export interface Setting<T, R extends Reload = Reload> {
  readonly doc: string;
  readonly default: unknown;
  readonly check: Check<T>;
  readonly reload: R;
}

export function setting<T, R extends Reload = 'restart'>(doc: string, defaultValue: unknown, check: Check<T>, reload?: R): Setting<T, R> {
  const checked = check(defaultValue);
  // A default that fails its own check is a bug in this table, caught when the module loads.
  if (!checked.ok) throw new Error(`the default ${JSON.stringify(defaultValue)} ${checked.error}`);
  return { doc, default: defaultValue, check, reload: (reload ?? 'restart') as R };
}

export type SettingValue<S> = S extends Setting<infer T> ? T : never;

/** A group of settings as the program reads them, e.g. `{ count: number, mode: 'echo' | 'connect' }`. */
export type SettingValues<G> = { readonly [K in keyof G]: SettingValue<G[K]> };
