import { dirname, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { isMapping, unknownKeyProblem } from './suggest.js';
import { readText, readTls, type WebTls } from './web-tls.js';
import { parseDuration } from './web-tls-names.js';
import { yaml } from './yaml-module.js';

/**
 * Prometheus exporter-toolkit's web configuration file (`--web.config.file` in every Go exporter),
 * read the same way: TLS with an optional client CA, basic auth users with bcrypt hashes, extra
 * response headers, a rate limit. Unknown keys are errors, as with their strict YAML decoding.
 */
export interface WebFile {
  readonly source: string;
  readonly tls: WebTls | null;
  /** User → bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
  readonly rateLimit: { readonly intervalMs: number; readonly burst: number } | null;
  /** Every file this one reads (itself, cert, key, CA): a change to any is a change of the config. */
  readonly files: readonly string[];
}

/** As exporter-toolkit: only these headers, and only these values where the header has a fixed set. */
const allowedHeaders: Record<string, readonly string[] | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

const topKeys = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'];
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** Reads and checks the file; every problem is named with the file and key, all at once. */
export function loadWebFile(file: string): WebFile {
  const source = resolve(file);
  const text = readText(source, 'the web config file');
  const doc = yaml().parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `${source}: not valid YAML: ${e.message.split('\n')[0]}`));
  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 0 }) ?? {};
  } catch (error) {
    throw new ConfigError([`${source}: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  if (!isMapping(tree)) throw new ConfigError([`${source}: the top level must be a mapping of keys (${topKeys.join(', ')})`]);
  for (const key of Object.keys(tree)) if (!topKeys.includes(key)) problems.push(unknownKeyProblem('', key, topKeys));
  const files = [source];
  const dir = dirname(source);
  const tls = readTls(tree.tls_server_config, dir, files, problems);
  const users = readUsers(tree.basic_auth_users, problems);
  const headers = readHeaders(tree.http_server_config, problems);
  const rateLimit = readRateLimit(tree.rate_limit, problems);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`));
  return { source, tls, users, headers, rateLimit, files };
}

function readUsers(node: unknown, problems: string[]): Map<string, string> {
  const users = new Map<string, string>();
  if (node === undefined || node === null) return users;
  if (!isMapping(node)) {
    problems.push('basic_auth_users: must be a mapping of user: bcrypt hash');
    return users;
  }
  for (const [user, hash] of Object.entries(node)) {
    if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
      problems.push(`basic_auth_users.${user}: must be a bcrypt hash ($2y$10$…, e.g. from htpasswd -nBC 10 "" | tr -d ':\\n')`);
    } else users.set(user, hash);
  }
  return users;
}

function readHeaders(node: unknown, problems: string[]): Record<string, string> {
  if (node === undefined || node === null) return {};
  if (!isMapping(node)) {
    problems.push('http_server_config: must be a mapping');
    return {};
  }
  for (const key of Object.keys(node))
    if (!['http2', 'headers'].includes(key)) problems.push(unknownKeyProblem('http_server_config', key, ['http2', 'headers']));
  if (node.http2 !== undefined && typeof node.http2 !== 'boolean') problems.push('http_server_config.http2: must be true or false');
  const headers: Record<string, string> = {};
  if (node.headers === undefined || node.headers === null) return headers;
  if (!isMapping(node.headers)) {
    problems.push('http_server_config.headers: must be a mapping');
    return headers;
  }
  for (const [name, value] of Object.entries(node.headers)) {
    const allowed = allowedHeaders[name];
    if (allowed === undefined)
      problems.push(`http_server_config.headers: HTTP header "${name}" can not be configured (${Object.keys(allowedHeaders).join(', ')})`);
    else if (typeof value !== 'string') problems.push(`http_server_config.headers.${name}: must be a string`);
    else if (allowed && !allowed.includes(value))
      problems.push(`http_server_config.headers.${name}: must be one of ${allowed.join(', ')}, not "${value}"`);
    else if (value !== '') headers[name] = value;
  }
  return headers;
}

function readRateLimit(node: unknown, problems: string[]): WebFile['rateLimit'] {
  if (node === undefined || node === null) return null;
  if (!isMapping(node)) {
    problems.push('rate_limit: must be a mapping with interval and burst');
    return null;
  }
  for (const key of Object.keys(node))
    if (!['interval', 'burst'].includes(key)) problems.push(unknownKeyProblem('rate_limit', key, ['interval', 'burst']));
  const intervalMs = parseDuration(node.interval ?? '0');
  const burst = node.burst ?? 0;
  if (intervalMs === undefined) problems.push('rate_limit.interval: must be a duration such as 1s or 500ms');
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0) problems.push('rate_limit.burst: must be a non-negative integer');
  return intervalMs ? { intervalMs, burst: Math.max(1, Number(burst)) } : null;
}
