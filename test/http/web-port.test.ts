import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { loadConfig } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { makeCerts } from '../helpers/certs.js';
import { waitFor } from '../helpers/servers.js';

const certs = makeCerts();
after(() => certs.cleanup());
const webFile = join(certs.dir, 'web.yml');
const hash = (password: string) => bcrypt.hashSync(password, 4); // cost 4: fast tests; real files use 10+

async function start(web: Record<string, unknown> = {}) {
  const config = loadConfig(
    {
      responder: { enabled: false },
      web: { listenAddress: '127.0.0.1:0', ...web },
      icmp: { capture: 'off' },
      targets: [],
    },
    join(certs.dir, 'tcpping.yaml'),
    {},
  );
  return Service.start(config);
}

function get(port: number, path: string, options: { auth?: string; cert?: string; key?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: certs.read('ca.crt'),
        ...(options.auth ? { auth: options.auth } : {}),
        ...(options.cert ? { cert: certs.read(options.cert), key: certs.read(options.key as string) } : {}),
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('TLS and basic auth from the web config; users added to the file count at once', async () => {
  writeFileSync(
    webFile,
    `tls_server_config: { cert_file: server.crt, key_file: server.key }
basic_auth_users: { prometheus: "${hash('s3cret')}" }
http_server_config: { headers: { X-Content-Type-Options: nosniff } }
`,
  );
  const service = await start({ configFile: 'web.yml' });
  try {
    const port = service.httpAddress?.port as number;
    const anonymous = await get(port, '/metrics');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic');
    assert.equal((await get(port, '/metrics', { auth: 'prometheus:wrong' })).status, 401);
    assert.equal((await get(port, '/metrics', { auth: 'nobody:s3cret' })).status, 401);
    const ok = await get(port, '/metrics', { auth: 'prometheus:s3cret' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.match(ok.body, /tcpping_web_config_last_reload_successful 1/);
    // Plain HTTP on the TLS port gets nothing useful.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));

    writeFileSync(
      webFile,
      `tls_server_config: { cert_file: server.crt, key_file: server.key }
basic_auth_users: { prometheus: "${hash('s3cret')}", grafana: "${hash('other')}" }
`,
    );
    assert.equal((await get(port, '/-/healthy', { auth: 'grafana:other' })).status, 200);
    // A broken edit is reported and the last good file stays in force.
    writeFileSync(webFile, 'basic_auth_users: { grafana: plaintext }\n');
    assert.equal((await get(port, '/-/healthy', { auth: 'grafana:other' })).status, 200);
    const metrics = await get(port, '/metrics', { auth: 'grafana:other' });
    assert.match(metrics.body, /tcpping_web_config_last_reload_successful 0/);
  } finally {
    await service.stop();
  }
});

test('RequireAndVerifyClientCert with allowed SANs: only the right client certificate gets in', async () => {
  writeFileSync(
    webFile,
    `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [prometheus.example]
`,
  );
  const service = await start({ configFile: 'web.yml' });
  try {
    const port = service.httpAddress?.port as number;
    await assert.rejects(get(port, '/-/healthy'));
    await assert.rejects(get(port, '/-/healthy', { cert: 'other.crt', key: 'other.key' }));
    assert.equal((await get(port, '/-/healthy', { cert: 'client.crt', key: 'client.key' })).status, 200);
  } finally {
    await service.stop();
  }
});

test('a broken web config refuses the start, naming the problem', async () => {
  writeFileSync(webFile, 'basic_auth_users: { bob: hunter2 }\n');
  await assert.rejects(start({ configFile: 'web.yml' }), /basic_auth_users\.bob: must be a bcrypt hash/);
});

test('idle connections cannot fill the web port: the longest idle makes room, and silent ones time out', async () => {
  const service = await start({ maxConnections: 20, headersTimeoutMs: 500 });
  const port = service.httpAddress?.port as number;
  const idle = Array.from({ length: 60 }, () => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    return s;
  });
  try {
    await waitFor(() => idle.every((s) => !s.connecting), 5000, 'the idle connections');
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    const evicted = Number(/tcpping_web_connections_evicted_total\{reason="server_full"\} (\d+)/.exec(text)?.[1]);
    assert.ok(evicted >= 40, `evicted ${evicted}`);
    await waitFor(() => idle.every((s) => s.destroyed || s.readableEnded), 5000, 'silent connections closed by the server');
  } finally {
    for (const s of idle) s.destroy();
    await service.stop();
  }
});
