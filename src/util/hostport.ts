import { isIP } from 'node:net';
import { err, ok, type Result } from './result.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, or a bare host when a default port is given. The error is a
 * message that callers prefix with the key or argument the text came from.
 */
export function parseHostPort(text: string, defaultPort?: number, allowPortZero = false): Result<HostPort> {
  const trimmed = text.trim();
  if (trimmed === '') return err('empty address');
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) return err(`"${host}" in brackets is not an IPv6 address`);
  } else if (isIP(trimmed) === 6) {
    host = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    host = colon === -1 ? trimmed : trimmed.slice(0, colon);
    portText = colon === -1 ? undefined : trimmed.slice(colon + 1);
  }
  if (host === '') return err(`no host in "${text}"`);
  if (!/^[A-Za-z0-9.\-_:%]+$/.test(host)) return err(`"${host}" is not a valid host name or address`);
  if (portText === undefined) {
    if (defaultPort === undefined) return err(`no port in "${text}" (expected HOST:PORT)`);
    return ok({ host, port: defaultPort });
  }
  if (!/^\d{1,5}$/.test(portText)) return err(`port "${portText}" in "${text}" is not a number`);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return err(`port ${port} in "${text}" is outside 1-65535`);
  return ok({ host, port });
}

/** Formats an address as users write it: IPv6 in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
