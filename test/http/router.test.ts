import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import request from 'supertest';
import type { WebFile } from '../../src/config/web-file.js';
import { createApp } from '../../src/http/app.js';
import { webGuard } from '../../src/http/guard.js';
import { PasswordCheck } from '../../src/http/password-check.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { StatusBoard } from '../../src/status/status.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';

// What the web port's own router does (express did it before): HEAD, 405, 404, 500, odd request targets.
const endpoints = 'Endpoints: /, /metrics, /-/healthy, /-/ready, /-/reload, /api/v1/targets, /api/v1/self.';

function app(overrides: Partial<Parameters<typeof createApp>[0]> = {}) {
  return createApp({
    metrics: new Metrics(new Registry(), 'x'),
    status: new StatusBoard(systemClock),
    version: 'x',
    ready: () => true,
    ...overrides,
  });
}

/** One request written as raw bytes (what supertest cannot send), the raw response back. */
function raw(server: Server, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(`${head}\r\nHost: h\r\nConnection: close\r\n\r\n`);
  });
}

test('HEAD on a GET route: the same status and headers as GET, no body', async () => {
  const server = app({ selfName: 'me' });
  for (const path of ['/-/healthy', '/api/v1/self', '/nope']) {
    const got = await request(server).get(path);
    const head = await request(server).head(path);
    assert.equal(head.status, got.status, path);
    for (const name of ['content-type', 'content-length']) assert.equal(head.headers[name], got.headers[name], `${path} ${name}`);
    assert.equal(head.text, undefined, path);
  }
  const self = await request(server).get('/api/v1/self').expect(200);
  assert.equal(self.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(self.text, '{"name":"me","version":"x"}');
  assert.equal(self.headers['x-powered-by'], undefined);
  assert.equal(self.headers.etag, undefined);
});

test('a method a path does not take: 405 naming the one to use, with Allow', async () => {
  const server = app();
  const post = await request(server).post('/metrics').expect(405, 'POST is not allowed on /metrics; use GET.\n');
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal(post.headers['content-type'], 'text/plain; charset=utf-8');
  const get = await request(server).get('/-/reload').expect(405, 'GET is not allowed on /-/reload; use POST.\n');
  assert.equal(get.headers.allow, 'POST');
  assert.equal((await request(server).head('/-/reload').expect(405)).headers.allow, 'POST');
});

test('paths match as before: any case, one trailing slash; an unknown path is a 404 listing the endpoints', async () => {
  const server = app();
  await request(server).get('/-/Healthy/').expect(200, 'tcpping is Healthy.\n');
  await request(server).get('/nope').expect(404, `Not found: /nope. ${endpoints}\n`);
  await request(server).get('/-/healthy//').expect(404);
});

test('bad request targets get a 404 or their answer, never a crash', async () => {
  const server = createServer(app()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    // Paths are not decoded: a broken escape is only a path that does not exist.
    for (const path of ['/%', '/%zz', '/%ff'])
      assert.match(await raw(server, `GET ${path} HTTP/1.1`), new RegExp(`^HTTP/1.1 404 [\\s\\S]*Not found: ${path}\\. Endpoints`));
    assert.match(await raw(server, 'GET /api/v1/targets?target=%&history=%zz HTTP/1.1'), /^HTTP\/1.1 200 [\s\S]*"data":\[\s+2\s+\]\}/);
    // Absolute-form, as sent to a proxy.
    assert.match(await raw(server, 'GET http://h/-/healthy?x=1 HTTP/1.1'), /^HTTP\/1.1 200 [\s\S]*tcpping is Healthy\./);
    assert.match(await raw(server, 'GET * HTTP/1.1'), /^HTTP\/1.1 404 [\s\S]*Not found: \*\./);
    assert.match(await raw(server, 'GET /-/healthy HTTP/1.1'), /^HTTP\/1.1 200 /);
  } finally {
    server.close();
  }
});

describe('a handler that throws', () => {
  const errors: [string, string | undefined][] = [];
  const onError = (error: unknown, req: IncomingMessage) => errors.push([String(error), req.url]);

  test('before answering: onError, then a 500 with the message', async () => {
    errors.length = 0;
    const server = app({
      lifecycle: () => true,
      reload: async () => {
        throw new Error('boom');
      },
      onError,
    });
    await request(server).post('/-/reload').expect(500, 'Internal error: boom\n');
    assert.deepEqual(errors, [['Error: boom', '/-/reload']]);
  });

  let server: Server;
  before(async () => {
    // A collector that fails: the per-target families are on the wire before the registry's fail.
    const registry = new Registry();
    const metrics = new Metrics(registry, 'x');
    metrics.targets.add({ name: 't', address: 'h:1', mode: 'echo' });
    new Gauge({
      name: 'failing',
      help: 'fails',
      registers: [registry],
      collect() {
        throw new Error('collector failed');
      },
    });
    server = createServer(app({ metrics, onError })).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('halfway through a streamed body: onError, the response cut short, the server still serving', async () => {
    errors.length = 0;
    const port = (server.address() as AddressInfo).port;
    const outcome = await new Promise<string>((resolve) => {
      get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut short'));
        res.on('aborted', () => resolve('cut short'));
      }).on('error', () => resolve('cut short'));
    });
    assert.equal(outcome, 'cut short');
    assert.deepEqual(errors, [['Error: collector failed', '/metrics']]);
    await request(server).get('/-/healthy').expect(200);
  });
});

test("the web config's guard, in exporter-toolkit's order: headers, then 429, then 401 with a challenge", async () => {
  const clock = new FakeClock();
  const web: WebFile = {
    source: 'test',
    tls: null,
    users: new Map([['prometheus', '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi']]),
    headers: { 'X-Frame-Options': 'deny' },
    rateLimit: { intervalMs: 1000, burst: 2 },
    files: [],
  };
  const passwords = new PasswordCheck();
  try {
    const server = app({ guard: webGuard(() => web, passwords, clock) });
    for (let i = 0; i < 2; i++) {
      const res = await request(server).get('/-/healthy').expect(401, 'Unauthorized\n');
      assert.equal(res.headers['www-authenticate'], 'Basic');
      assert.equal(res.headers['x-frame-options'], 'deny');
    }
    const limited = await request(server).get('/-/healthy').expect(429, 'Too Many Requests\n');
    assert.equal(limited.headers['x-frame-options'], 'deny');
    assert.equal(limited.headers['www-authenticate'], undefined);
    await clock.advance(1000);
    await request(server).get('/-/healthy').expect(401);
  } finally {
    await passwords.close();
  }
});
