import { type HostPort, parseHostPort } from './hostport.js';
import { err, ok, type Result } from './result.js';

/**
 * A value check: the value as the program uses it, or a message that completes "KEY: ..."
 * (the loader appends ": value was X"). A check may also convert, e.g. "HOST:PORT" to a HostPort.
 */
export type Check<T> = (value: unknown) => Result<T>;

export function integer(min: number, max: number): Check<number> {
  return (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? ok(value)
      : err(`must be an integer from ${min} to ${max}`);
}

export function number(min: number, max: number): Check<number> {
  return (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? ok(value)
      : err(`must be a number from ${min} to ${max}`);
}

export const boolean: Check<boolean> = (value) => (typeof value === 'boolean' ? ok(value) : err('must be true or false'));

export function oneOf<const T extends string>(options: readonly T[]): Check<T> {
  return (value) =>
    typeof value === 'string' && (options as readonly string[]).includes(value)
      ? ok(value as T)
      : err(`must be one of ${options.map((o) => `"${o}"`).join(', ')}`);
}

export const anyString: Check<string> = (value) => (typeof value === 'string' ? ok(value) : err('must be a string'));

/** A listen address; port 0 asks the kernel for any free port. */
export const listenAddress: Check<HostPort> = (value) => {
  if (typeof value !== 'string') return err('must be a string HOST:PORT');
  const parsed = parseHostPort(value, undefined, true);
  return parsed.ok ? parsed : err(`must be HOST:PORT (${parsed.error})`);
};

export const stringList: Check<string[]> = (value) =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v.trim() !== '')
    ? ok(value as string[])
    : err('must be a list of non-empty strings');

/** A host name or address without a port, or empty for "not set". */
export const optionalHost: Check<string> = (value) =>
  typeof value === 'string' && (value === '' || /^[A-Za-z0-9.\-_:%]+$/.test(value))
    ? ok(value)
    : err('must be a host name or address, or empty');

/** A comma-separated list of HOST or HOST:PORT (a port is optional: the caller supplies a default). */
export const hostList: Check<string[]> = (value) => {
  if (typeof value !== 'string') return err('must be a string of comma-separated HOST[:PORT]');
  const hosts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const host of hosts) {
    const parsed = parseHostPort(host, 1);
    if (!parsed.ok) return err(parsed.error);
  }
  return ok(hosts);
};

/** Anything that is a list; its items are checked by whoever reads them. */
export const list: Check<unknown[]> = (value) => (Array.isArray(value) ? ok(value) : err('must be a list'));
