import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadWebFile } from '../../src/config/web-file.js';
import { ConfigError } from '../../src/util/errors.js';
import { makeCerts } from '../helpers/certs.js';

const certs = makeCerts();
after(() => certs.cleanup());
const HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';

function load(text: string) {
  const file = join(certs.dir, 'web.yml');
  writeFileSync(file, text);
  return loadWebFile(file);
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map((p) => p.replace(`${join(certs.dir, 'web.yml')}: `, ''));
  }
  return [];
}

test("exporter-toolkit's sample: TLS from files relative to the web config, users, headers", () => {
  const web = load(`
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: ${HASH}
rate_limit:
  interval: 500ms
  burst: 20
`);
  assert.equal(web.tls?.clientAuth, 'RequireAndVerifyClientCert');
  assert.equal(web.tls?.context.minVersion, 'TLSv1.3');
  assert.equal(web.tls?.context.requestCert, true);
  assert.equal(web.tls?.context.rejectUnauthorized, true);
  assert.match(String(web.tls?.context.ciphers), /^TLS_AES_256_GCM_SHA384:.*:ECDHE-RSA-AES128-GCM-SHA256$/);
  assert.equal(web.tls?.context.ecdhCurve, 'X25519:P-256');
  assert.deepEqual(web.headers, { 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' });
  assert.equal(web.users.get('alice'), HASH);
  assert.deepEqual(web.rateLimit, { intervalMs: 500, burst: 20 });
  assert.deepEqual(
    web.files.slice(1),
    ['server.crt', 'server.key', 'ca.crt'].map((f) => join(certs.dir, f)),
  );
});

test('an empty file: plain HTTP, nobody asked for a password', () => {
  const web = load('');
  assert.equal(web.tls, null);
  assert.equal(web.users.size, 0);
});

const bad: [string, string, RegExp][] = [
  ['an unknown key', 'tls_server_confg: {}', /^unknown key "tls_server_confg" \(did you mean "tls_server_config"\?\)/],
  ['a password that is not a bcrypt hash', 'basic_auth_users: { bob: hunter2 }', /^basic_auth_users\.bob: must be a bcrypt hash/],
  [
    'a header exporter-toolkit does not allow',
    'http_server_config: { headers: { Server: x } }',
    /HTTP header "Server" can not be configured/,
  ],
  ['a header value outside its set', 'http_server_config: { headers: { X-Frame-Options: allow } }', /must be one of deny, sameorigin/],
  ['a key file that is missing', 'tls_server_config: { cert_file: server.crt, key_file: nope.key }', /key_file: .*nope\.key: cannot read/],
  ['no key at all', 'tls_server_config: { cert_file: server.crt }', /missing one of key or key_file/],
  ["a key that is not the certificate's", 'tls_server_config: { cert_file: server.crt, key_file: client.key }', /do not load/],
  [
    'an unknown TLS version',
    'tls_server_config: { cert_file: server.crt, key_file: server.key, min_version: TLS9 }',
    /unknown TLS version "TLS9"/,
  ],
  [
    'a cipher Node cannot honour',
    'tls_server_config: { cert_file: server.crt, key_file: server.key, cipher_suites: [TLS_FAKE] }',
    /unknown cipher suite "TLS_FAKE"/,
  ],
  [
    'a client CA without a policy',
    'tls_server_config: { cert_file: server.crt, key_file: server.key, client_ca_file: ca.crt }',
    /without a client_auth_type/,
  ],
  ['an alias bomb', 'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]', /alias/i],
  ['a bad rate limit', 'rate_limit: { interval: soon, burst: -1 }', /interval: must be a duration/],
];
for (const [name, text, expected] of bad) {
  test(`a clear error for ${name}`, () => {
    const found = problems(text);
    assert.ok(
      found.some((p) => expected.test(p)),
      found.join('\n'),
    );
  });
}
