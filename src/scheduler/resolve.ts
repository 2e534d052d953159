import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AddressFamily } from '../domain/target.js';
import type { Clock } from '../util/clock.js';
import { err, ok, type Result } from '../util/result.js';

/** Name resolution, injectable: the system resolver (getaddrinfo, so /etc/hosts counts) by default. */
export type Resolver = (host: string, family: AddressFamily) => Promise<string>;

export const systemResolver: Resolver = async (host, family) => {
  const { address } = await lookup(host, { family: family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : 0 });
  return address;
};

/** The address to ping, or why there is none. */
export type Resolution = Result<string, { readonly detail: string; readonly errno?: string }>;

/** An IP literal is its own answer, at once (no promise); undefined for a name. */
export function resolveLiteral(host: string, family: AddressFamily): Resolution | undefined {
  const literal = isIP(host);
  if (literal === 0) return undefined;
  if ((family === 'ipv4' && literal === 6) || (family === 'ipv6' && literal === 4)) {
    return err({ detail: `${host} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address` });
  }
  return ok(host);
}

/**
 * Resolves a target's host once per round, bounded by the ping timeout: getaddrinfo can hang for
 * seconds, and a round must not. An IP literal is its own answer.
 */
export async function resolveHost(
  host: string,
  family: AddressFamily,
  resolver: Resolver,
  clock: Clock,
  timeoutMs: number,
): Promise<Resolution> {
  const literal = resolveLiteral(host, family);
  if (literal) return literal;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<Resolution>((resolve) => {
    timer = clock.setTimeout(() => resolve(err({ detail: `resolving ${host} took over ${timeoutMs} ms` })), timeoutMs);
  });
  const answer = resolver(host, family).then(
    (address): Resolution => ok(address),
    (error: NodeJS.ErrnoException): Resolution => {
      const errno = typeof error?.code === 'string' ? error.code : undefined;
      const detail = `cannot resolve ${host}: ${errno ?? error?.message ?? String(error)}`;
      return err(errno ? { detail, errno } : { detail });
    },
  );
  const result = await Promise.race([answer, timeout]);
  clock.clearTimeout(timer);
  return result;
}
