import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext, DEFAULT_CIPHERS, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../util/errors.js';
import { isMapping, unknownKeyProblem } from './suggest.js';
import { type ClientAuthType, cipherSuite, clientAuthTypes, curves, tlsVersions } from './web-tls-names.js';

/** tls_server_config of an exporter-toolkit web config file, as node:tls takes it. */
export interface WebTls {
  /** What node:tls takes (cert, key, ca, versions, ciphers, curves), plus the client certificate policy. */
  readonly context: SecureContextOptions & { readonly requestCert: boolean; readonly rejectUnauthorized: boolean };
  readonly clientAuth: ClientAuthType;
  /** Subject alternative names a client certificate must carry one of; null: any. */
  readonly allowedSans: readonly string[] | null;
}

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

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Reads tls_server_config; files named in it are read relative to `dir` and added to `files`. */
export function readTls(node: unknown, dir: string, files: string[], problems: string[]): WebTls | null {
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

/** A web config file is a few lines, a certificate a few kB; anything larger is not one. */
const MAX_BYTES = 1024 * 1024;

export function readText(path: string, what: string): string {
  try {
    const text = readFileSync(path);
    if (text.length > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES} bytes`);
    return text.toString('utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read ${what}: ${(error as Error).message}`], { cause: error });
  }
}
