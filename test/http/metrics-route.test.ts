import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { createApp } from '../../src/http/app.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { StatusBoard } from '../../src/status/status.js';
import { systemClock } from '../../src/util/clock.js';
import { parseExposition } from '../helpers/exposition.js';
import { prometheusAccept } from '../helpers/prometheus.js';
import { readMetricFamilies } from '../helpers/protobuf.js';

// /metrics over a real socket, so the bytes on the wire (gzipped or not) are what a scraper gets.
const TARGETS = 300;
let server: Server;
let port = 0;

before(async () => {
  const metrics = new Metrics(new Registry(), 'test');
  for (let i = 0; i < TARGETS; i++) {
    const name = `t${i}`;
    metrics.targets.add({ name, address: `h${i}:1`, mode: 'echo' });
    metrics.targets.ping(name, { ok: true, value: { seq: 1, rttSeconds: 0.001 * (i + 1) } });
  }
  const app = createApp({ metrics, status: new StatusBoard(systemClock), version: 'test', ready: () => true });
  server = createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function scrape(headers: Record<string, string>, method = 'GET'): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const rttHistograms = (body: Uint8Array) => readMetricFamilies(body).find((f) => f.name === 'tcpping_rtt_seconds')?.metrics ?? [];

test('Prometheus with native histograms gets the whole body in protobuf, native buckets included', async () => {
  const { res, body } = await scrape({ accept: prometheusAccept.native });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited');
  assert.equal(res.headers.vary, 'Accept, Accept-Encoding');
  assert.equal(res.headers['content-encoding'], undefined);
  const families = readMetricFamilies(body);
  for (const name of ['tcpping_pings_sent_total', 'tcpping_rtt_seconds', 'tcpping_responder_pings_total', 'process_cpu_seconds_total']) {
    assert.ok(
      families.some((f) => f.name === name),
      name,
    );
  }
  const rtt = rttHistograms(body);
  assert.equal(rtt.length, TARGETS);
  assert.ok(rtt.every((m) => m.histogram?.schema === 4 && m.histogram.sampleCount === 1));
});

test('everyone else gets text 0.0.4', async () => {
  for (const accept of [prometheusAccept.classic, '*/*']) {
    const { res, body } = await scrape({ accept });
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(body.toString());
    assert.equal(m.value('tcpping_rtt_seconds_count'), TARGETS);
    assert.ok(m.has('process_cpu_seconds_total'));
  }
});

test('gzipped when Accept-Encoding allows it, in both formats', async () => {
  const zipped = await scrape({ accept: prometheusAccept.native, 'accept-encoding': 'gzip' });
  assert.equal(zipped.res.headers['content-encoding'], 'gzip');
  const plain = await scrape({ accept: prometheusAccept.native });
  const unzipped = gunzipSync(zipped.body);
  assert.ok(zipped.body.length < unzipped.length / 4, `${zipped.body.length} bytes for ${unzipped.length}`);
  assert.deepEqual(rttHistograms(unzipped), rttHistograms(plain.body));
  const text = await scrape({ 'accept-encoding': 'gzip, deflate' });
  assert.equal(text.res.headers['content-encoding'], 'gzip');
  assert.equal(parseExposition(gunzipSync(text.body).toString()).value('tcpping_rtt_seconds_count'), TARGETS);
});

test('HEAD gets the headers only', async () => {
  const { res, body } = await scrape({ accept: prometheusAccept.native, 'accept-encoding': 'gzip' }, 'HEAD');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.equal(body.length, 0);
});

test('a scraper that hangs up mid-body leaves /metrics serving the next one', async () => {
  for (const headers of [{ accept: prometheusAccept.native, 'accept-encoding': 'gzip' }, {}]) {
    await new Promise<void>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/metrics', headers }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    });
  }
  const { res, body } = await scrape({ accept: prometheusAccept.native });
  assert.equal(res.statusCode, 200);
  assert.equal(rttHistograms(body).length, TARGETS);
});
