import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, test } from 'node:test';
import { closedPort } from '../helpers/servers.js';
import { closeAll, legitimatePings, metric, openMany, type Served, serve, sleep, splitLines, trickle } from './attacks.js';

/**
 * The attacks of the reliability table at a small scale (limits scaled down with them), each beside
 * a legitimate client pinging 20 times a second: it must lose nothing. The full-size figures come
 * from `npm run bench -- --only abuse`.
 */
let service: Served;
let port: number;
before(async () => {
  port = await closedPort();
  service = await serve({
    log: { level: 'info' },
    responder: { listen: `127.0.0.1:${port}`, dropRate: 0, maxConnections: 128, maxConnectionsPerAddress: 128, lineTimeoutMs: 2000 },
    web: { listenAddress: '127.0.0.1:0', maxConnections: 32 },
    icmp: { capture: 'off' },
    targets: [],
  });
});
after(async () => {
  assert.equal(await service.stop(), 0);
});

test('slowloris on 300 connections (cap 128): every legitimate ping is answered', async () => {
  const sockets = await openMany(port, 300);
  const stop = trickle(sockets, 300);
  try {
    const legit = await legitimatePings(port, 20, 2000);
    assert.deepEqual(legit.reasons, {});
    assert.equal(legit.lost, 0);
    assert.ok((await metric(service.webPort, 'tcpping_responder_connections_evicted_total')) > 100);
  } finally {
    stop();
    closeAll(sockets);
  }
});

test('400 idle connections (cap 128): every legitimate ping is answered', async () => {
  const sockets = await openMany(port, 400);
  try {
    const legit = await legitimatePings(port, 20, 2000);
    assert.equal(legit.lost, 0, JSON.stringify(legit.reasons));
  } finally {
    closeAll(sockets);
  }
});

test('a ping line sent a byte per segment is one ping, one reply', async () => {
  await sleep(200);
  const before = await metric(service.webPort, 'tcpping_responder_pings_total');
  assert.equal(await splitLines(port, 50), 50);
  assert.equal((await metric(service.webPort, 'tcpping_responder_pings_total')) - before, 50);
});

test('300 idle connections to the web port (cap 32): /metrics still answers', async () => {
  const sockets = await openMany(service.webPort, 300);
  try {
    // On a connection of its own: the one fetch keeps alive from the tests before is idle too, and
    // the cap may close it first (failed once so, "fetch failed"), as it would any idle client's.
    const response = await getOnNewConnection(service.webPort, '/metrics');
    assert.equal(response.status, 200);
    assert.match(response.body, /tcpping_web_connections_evicted_total\{reason="server_full"\} [1-9]/);
  } finally {
    closeAll(sockets);
  }
});

/** GET `path` on a new connection (no pool), with a 3 s bound. */
function getOnNewConnection(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: 3000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path}: no answer within 3 s`)));
    request.on('error', reject);
  });
}

test('500 clients cut off for garbage cost a few log lines, not one each', async () => {
  const before = service.logBytes();
  const cutBefore = await metric(service.webPort, 'tcpping_responder_bad_requests_total', 'reason="binary"');
  for (let batch = 0; batch < 5; batch++) {
    const sockets = await openMany(port, 100, 100);
    for (const s of sockets) s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff]));
    await sleep(200);
    closeAll(sockets);
  }
  const cut = (await metric(service.webPort, 'tcpping_responder_bad_requests_total', 'reason="binary"')) - cutBefore;
  assert.ok(cut >= 450, `${cut} cut off`);
  const logged = service.logBytes() - before;
  assert.ok(logged < 5000, `${logged} bytes of log`);
});
