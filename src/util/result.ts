/**
 * The one result style of tcpping: a fallible step returns a value or an explanation, never throws
 * for an expected failure. `error` is a message for people unless the type says otherwise.
 */
export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
