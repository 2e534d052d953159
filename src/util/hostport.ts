import { isIP } from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, or a bare host when a default port is given.
 * Returns an error message instead of throwing: callers name the key or argument it came from.
 */
export function parseHostPort(text: string, defaultPort?: number, allowPortZero = false): HostPort | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty address';
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) return `"${host}" in brackets is not an IPv6 address`;
  } else if (isIP(trimmed) === 6) {
    host = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    host = colon === -1 ? trimmed : trimmed.slice(0, colon);
    portText = colon === -1 ? undefined : trimmed.slice(colon + 1);
  }
  if (host === '') return `no host in "${text}"`;
  if (!/^[A-Za-z0-9.\-_:%]+$/.test(host)) return `"${host}" is not a valid host name or address`;
  if (portText === undefined) {
    if (defaultPort === undefined) return `no port in "${text}" (expected HOST:PORT)`;
    return { host, port: defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText)) return `port "${portText}" in "${text}" is not a number`;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return `port ${port} in "${text}" is outside 1-65535`;
  return { host, port };
}

/** Formats an address as users write it: IPv6 in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
