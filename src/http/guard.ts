import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebFile } from '../config/web-file.js';
import type { Clock } from '../util/clock.js';
import type { PasswordCheck } from './password-check.js';
import { reply } from './reply.js';
import type { Guard } from './router.js';

/**
 * What the web config file asks of every request, in exporter-toolkit's order: the extra headers,
 * the rate limit (429), then basic auth (401 with a challenge). Runs before every route.
 */
export function webGuard(web: () => WebFile, passwords: PasswordCheck, clock: Clock): Guard {
  const bucket = { tokens: Number.NaN, atMs: 0 };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const config = web();
    for (const [name, value] of Object.entries(config.headers)) res.setHeader(name, value);
    if (config.rateLimit && !take(bucket, config.rateLimit, clock.nowMs())) {
      reply(res, 429, 'text', 'Too Many Requests\n');
      return false;
    }
    if (config.users.size === 0) return true;
    const credentials = basicAuth(req.headers.authorization);
    if (credentials && (await passwords.verify(config.users, credentials.user, credentials.password))) return true;
    res.setHeader('WWW-Authenticate', 'Basic');
    reply(res, 401, 'text', 'Unauthorized\n');
    return false;
  };
}

/** A token bucket: `burst` requests at once, one more every intervalMs. */
function take(bucket: { tokens: number; atMs: number }, limit: { intervalMs: number; burst: number }, nowMs: number): boolean {
  if (Number.isNaN(bucket.tokens)) bucket.tokens = limit.burst;
  else bucket.tokens = Math.min(limit.burst, bucket.tokens + (nowMs - bucket.atMs) / limit.intervalMs);
  bucket.atMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** `Authorization: Basic base64(user:password)`, or null for anything else. */
export function basicAuth(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
