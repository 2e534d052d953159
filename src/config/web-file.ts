import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext, DEFAULT_CIPHERS, type SecureContextOptions } from 'node:tls';
import { parseDocument } from 'yaml';
import { ConfigError } from '../util/errors.js';
import { isMapping, unknownKeyProblem } from './suggest.js';
import { type ClientAuthType, cipherSuite, clientAuthTypes, curves, parseDuration, tlsVersions } from './web-tls-names.js';

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

export interface WebTls {
  /** What node:tls takes (cert, key, ca, versions, ciphers, curves), plus the client certificate policy. */
  readonly context: SecureContextOptions & { readonly requestCert: boolean; readonly rejectUnauthorized: boolean };
  readonly clientAuth: ClientAuthType;
  /** Subject alternative names a client certificate must carry one of; null: any. */
  readonly allowedSans: readonly string[] | null;
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
const tlsKeys = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'client_allowed_sans',
  'min_version',
  'max_version',
  'cipher_suites',
  'prefer_server_cipher_suites',
  'curve_preferences',
];
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;
/** A web config file is a few lines; anything larger is not one. */
const MAX_BYTES = 1024 * 1024;

/** Reads and checks the file; every problem is named with the file and key, all at once. */
export function loadWebFile(file: string): WebFile {
  const source = resolve(file);
  const text = readText(source, 'the web config file');
  const doc = parseDocument(text, { uniqueKeys: true });
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

function readText(path: string, what: string): string {
  try {
    const text = readFileSync(path);
    if (text.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
    return text.toString('utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read ${what}: ${(error as Error).message}`], { cause: error });
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function readTls(node: unknown, dir: string, files: string[], problems: string[]): WebTls | null {
  if (node === undefined || node === null) return null;
  if (!isMapping(node)) {
    problems.push('tls_server_config: must be a mapping');
    return null;
  }
  for (const key of Object.keys(node)) if (!tlsKeys.includes(key)) problems.push(unknownKeyProblem('tls_server_config', key, tlsKeys));
  const pem = (inline: string, fileKey: string, required: boolean): string | undefined => {
    const text = str(node[inline]);
    const path = str(node[fileKey]);
    if (text && path) problems.push(`tls_server_config: set ${inline} or ${fileKey}, not both`);
    if (path) {
      const full = isAbsolute(path) ? path : resolve(dir, path);
      files.push(full);
      try {
        return readText(full, `tls_server_config.${fileKey}`);
      } catch (error) {
        problems.push(...(error as ConfigError).problems.map((p) => `tls_server_config.${fileKey}: ${p}`));
        return undefined;
      }
    }
    if (!text && required) problems.push(`tls_server_config: missing one of ${inline} or ${fileKey}`);
    return text;
  };
  const cert = pem('cert', 'cert_file', true);
  const key = pem('key', 'key_file', true);
  const ca = pem('client_ca', 'client_ca_file', false);
  const clientAuth = (str(node.client_auth_type) ?? 'NoClientCert') as ClientAuthType;
  if (!clientAuthTypes.includes(clientAuth))
    problems.push(`tls_server_config.client_auth_type: must be one of ${clientAuthTypes.join(', ')}`);
  if (ca && clientAuth === 'NoClientCert') problems.push("tls_server_config: client CA's have been configured without a client_auth_type");
  if (clientAuth === 'RequireAndVerifyClientCert' && !ca)
    problems.push('tls_server_config: RequireAndVerifyClientCert needs client_ca_file');
  const version = (k: string, fallback: string) => {
    const v = str(node[k]) ?? fallback;
    if (!(v in tlsVersions))
      problems.push(`tls_server_config.${k}: unknown TLS version ${JSON.stringify(v)} (${Object.keys(tlsVersions).join(', ')})`);
    return tlsVersions[v] ?? 'TLSv1.2';
  };
  const list = (k: string, map: (name: string) => string | undefined, what: string): string[] | undefined => {
    if (node[k] === undefined) return undefined;
    if (!Array.isArray(node[k])) {
      problems.push(`tls_server_config.${k}: must be a list`);
      return undefined;
    }
    return (node[k] as unknown[]).flatMap((name) => {
      const mapped = typeof name === 'string' ? map(name) : undefined;
      if (!mapped) problems.push(`tls_server_config.${k}: unknown ${what} ${JSON.stringify(name)}`);
      return mapped ? [mapped] : [];
    });
  };
  const ciphers = list('cipher_suites', cipherSuite, 'cipher suite');
  const curveList = list('curve_preferences', (n) => curves[n], 'curve');
  const sans = node.client_allowed_sans;
  if (sans !== undefined && !(Array.isArray(sans) && sans.every((s) => typeof s === 'string'))) {
    problems.push('tls_server_config.client_allowed_sans: must be a list of strings');
  }
  const tls13 = DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_'));
  const context = {
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(ca ? { ca } : {}),
    minVersion: version('min_version', 'TLS12'),
    maxVersion: version('max_version', 'TLS13'),
    // Go's cipher_suites govern TLS 1.2 and below only; TLS 1.3's stay as they are, here too.
    ...(ciphers && ciphers.length > 0 ? { ciphers: [...tls13, ...ciphers].join(':') } : {}),
    ...(curveList && curveList.length > 0 ? { ecdhCurve: curveList.join(':') } : {}),
    honorCipherOrder: node.prefer_server_cipher_suites !== false,
    requestCert: clientAuth !== 'NoClientCert',
    rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert',
  } as const;
  if (problems.length === 0) {
    try {
      createSecureContext(context); // the pair must load: a wrong key for the cert is an error now, not at the first handshake
    } catch (error) {
      problems.push(`tls_server_config: the certificate and key do not load: ${(error as Error).message}`);
    }
  }
  return { context, clientAuth, allowedSans: Array.isArray(sans) ? (sans as string[]) : null };
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
