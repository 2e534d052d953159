import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../util/clock.js';

export const addressFamilies = ['auto', 'ipv4', 'ipv6'] as const;
export type AddressFamily = (typeof addressFamilies)[number];

/** Name resolution, injectable: the system resolver (getaddrinfo, so /etc/hosts counts) by default. */
export type Resolver = (host: string, family: AddressFamily) => Promise<string>;

export const systemResolver: Resolver = async (host, family) => {
  const { address } = await lookup(host, { family: family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : 0 });
  return address;
};

export type Resolution = { ok: true; address: string } | { ok: false; detail: string; errno?: string };

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
  const literal = isIP(host);
  if (literal !== 0) {
    if ((family === 'ipv4' && literal === 6) || (family === 'ipv6' && literal === 4)) {
      return { ok: false, detail: `${host} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address` };
    }
    return { ok: true, address: host };
  }
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<Resolution>((resolve) => {
    timer = clock.setTimeout(() => resolve({ ok: false, detail: `resolving ${host} took over ${timeoutMs} ms` }), timeoutMs);
  });
  const answer = resolver(host, family).then(
    (address): Resolution => ({ ok: true, address }),
    (error: NodeJS.ErrnoException): Resolution => {
      const errno = typeof error?.code === 'string' ? error.code : undefined;
      const detail = `cannot resolve ${host}: ${errno ?? error?.message ?? String(error)}`;
      return errno ? { ok: false, detail, errno } : { ok: false, detail };
    },
  );
  const result = await Promise.race([answer, timeout]);
  clock.clearTimeout(timer);
  return result;
}
