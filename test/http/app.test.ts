import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import request from 'supertest';
import { loadConfig } from '../../src/config/load.js';
import { lossReasons } from '../../src/domain/ping.js';
import { createApp } from '../../src/http/app.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { Service } from '../../src/service.js';
import { StatusBoard } from '../../src/status/status.js';
import { systemClock } from '../../src/util/clock.js';
import { parseExposition } from '../helpers/exposition.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { closedPort, waitFor } from '../helpers/servers.js';

/** Every metric of the README's contract, with its type. */
const contract: Record<string, string> = {
  tcpping_pings_sent_total: 'counter',
  tcpping_pings_lost_total: 'counter',
  tcpping_rtt_seconds: 'histogram',
  tcpping_connect_seconds: 'histogram',
  tcpping_connect_retransmits_total: 'counter',
  tcpping_icmp_errors_total: 'counter',
  tcpping_round_loss_ratio: 'gauge',
  tcpping_round_rtt_min_seconds: 'gauge',
  tcpping_round_rtt_avg_seconds: 'gauge',
  tcpping_round_rtt_max_seconds: 'gauge',
  tcpping_round_rtt_mdev_seconds: 'gauge',
  tcpping_target_up: 'gauge',
  tcpping_target_info: 'gauge',
  tcpping_responder_connections_total: 'counter',
  tcpping_responder_connections_active: 'gauge',
  tcpping_responder_pings_total: 'counter',
  tcpping_responder_pings_dropped_total: 'counter',
  tcpping_responder_bad_requests_total: 'counter',
  tcpping_icmp_capture_enabled: 'gauge',
  tcpping_scheduler_lag_seconds: 'histogram',
  tcpping_config_last_reload_successful: 'gauge',
  tcpping_config_last_reload_success_timestamp_seconds: 'gauge',
  tcpping_build_info: 'gauge',
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
};
/** Series of a configured target, present before its first ping (counters are checked at 0). */
const perTarget = [
  'tcpping_pings_sent_total',
  'tcpping_rtt_seconds_count',
  'tcpping_connect_seconds_count',
  'tcpping_connect_retransmits_total',
  'tcpping_round_loss_ratio',
  'tcpping_target_up',
];

async function scrape(app: Parameters<typeof request>[0]) {
  const res = await request(app).get('/metrics').expect(200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

describe('before the first ping (fake clock: no round has run)', () => {
  let service: Service;
  before(async () => {
    const port = await closedPort();
    const config = loadConfig(
      {
        responder: { listen: `127.0.0.1:${port}` },
        web: { listenAddress: '127.0.0.1:0' },
        icmp: { capture: 'off' },
        targets: [{ name: 'self', address: `127.0.0.1:${port}` }],
      },
      'test',
      {},
    );
    service = await Service.start(config, { clock: new FakeClock() });
  });
  after(() => service.stop());

  test('the exposition parses and carries every contract name with its type', async () => {
    const metrics = await scrape(service.app);
    for (const [name, type] of Object.entries(contract)) assert.equal(metrics.types.get(name), type, name);
  });

  test("a configured target's series exist at 0", async () => {
    const metrics = await scrape(service.app);
    for (const name of perTarget) {
      assert.ok(metrics.has(name, { target: 'self' }), `${name}{target="self"} missing`);
      assert.equal(metrics.value(name, { target: 'self' }), 0, name);
    }
    // An echo-mode target at an IP address: every reason but dns (it is never looked up).
    for (const reason of lossReasons.filter((r) => r !== 'dns'))
      assert.ok(metrics.has('tcpping_pings_lost_total', { target: 'self', reason }), reason);
    assert.ok(!metrics.has('tcpping_pings_lost_total', { target: 'self', reason: 'dns' }));
    assert.ok(metrics.has('tcpping_target_info', { target: 'self', address: service.config.targets[0]?.address ?? '', mode: 'echo' }));
  });

  test('health, readiness, targets API and the status page', async () => {
    await request(service.app).get('/-/healthy').expect(200, 'tcpping is Healthy.\n');
    await request(service.app).get('/-/ready').expect(200);
    const api = await request(service.app).get('/api/v1/targets').expect(200);
    assert.equal(api.body.status, 'success');
    assert.deepEqual(
      api.body.data.map((t: { name: string; up: unknown; lastRound: unknown }) => [t.name, t.up, t.lastRound]),
      [['self', null, null]],
    );
    const page = await request(service.app).get('/').expect(200);
    assert.match(page.text, /<td>self<\/td>/);
    assert.match(page.text, /href="\/metrics"/);
  });

  test('bad HTTP requests get a clear status and message', async () => {
    const notFound = await request(service.app).get('/nope').expect(404);
    assert.match(notFound.text, /Not found: \/nope\. Endpoints: /);
    const wrongMethod = await request(service.app).post('/metrics').expect(405);
    assert.equal(wrongMethod.headers.allow, 'GET, HEAD');
  });
});

test('/-/ready answers 503 until the service is listening and scheduling', async () => {
  const metrics = new Metrics(new Registry(), 'x');
  const app = createApp({ metrics, status: new StatusBoard(systemClock), version: 'x', ready: () => false });
  const res = await request(app).get('/-/ready').expect(503);
  assert.match(res.text, /not ready/);
});

describe('after rounds on real sockets (dropRate 0.2)', () => {
  let service: Service;
  before(async () => {
    const port = await closedPort();
    const dead = await closedPort();
    const config = loadConfig(
      {
        responder: { listen: `127.0.0.1:${port}`, dropRate: 0.2 },
        web: { listenAddress: '127.0.0.1:0' },
        icmp: { capture: 'off' },
        // A generous timeout: on a loaded machine a late reply must not pass for a drop.
        defaults: { count: 10, intervalMs: 500, timeoutMs: 400 },
        targets: [
          { name: 'self', address: `127.0.0.1:${port}` },
          { name: 'dead', address: `127.0.0.1:${dead}`, mode: 'connect' },
        ],
      },
      'test',
      {},
    );
    service = await Service.start(config);
    await waitFor(() => service.status.list().every((t) => t.rounds >= 3), 30_000, 'three rounds per target');
    await service.stop(); // no ping in flight while the invariants are checked
  });

  test('sent = rtt_seconds_count + Σ lost, per target', async () => {
    const m = await scrape(service.app);
    for (const target of ['self', 'dead']) {
      const sent = m.value('tcpping_pings_sent_total', { target });
      assert.ok(sent >= 30, `${target}: ${sent} sent`);
      assert.equal(sent, m.value('tcpping_rtt_seconds_count', { target }) + m.value('tcpping_pings_lost_total', { target }), target);
    }
  });

  test("the responder's drops are exactly the self target's timeouts", async () => {
    const m = await scrape(service.app);
    assert.equal(m.value('tcpping_responder_pings_total'), m.value('tcpping_pings_sent_total', { target: 'self' }));
    assert.equal(
      m.value('tcpping_responder_pings_dropped_total'),
      m.value('tcpping_pings_lost_total', { target: 'self', reason: 'timeout' }),
    );
    assert.equal(
      m.value('tcpping_pings_lost_total', { target: 'self' }),
      m.value('tcpping_pings_lost_total', { target: 'self', reason: 'timeout' }),
    );
    const loss = m.value('tcpping_round_loss_ratio', { target: 'self' });
    assert.ok(loss >= 0 && loss <= 0.7, `last round loss ${loss}`);
    assert.equal(m.value('tcpping_target_up', { target: 'self' }), 1);
  });

  test('a refused target: every ping lost as refused, down, round RTT figures NaN', async () => {
    const m = await scrape(service.app);
    const sent = m.value('tcpping_pings_sent_total', { target: 'dead' });
    assert.equal(m.value('tcpping_pings_lost_total', { target: 'dead', reason: 'refused' }), sent);
    assert.equal(m.value('tcpping_target_up', { target: 'dead' }), 0);
    assert.equal(m.value('tcpping_round_loss_ratio', { target: 'dead' }), 1);
    assert.ok(Number.isNaN(m.value('tcpping_round_rtt_avg_seconds', { target: 'dead' })));
    const api = await request(service.app).get('/api/v1/targets').expect(200);
    const dead = api.body.data.find((t: { name: string }) => t.name === 'dead');
    assert.equal(dead.up, false);
    assert.equal(dead.lastLoss.reason, 'refused');
  });
});

test('/api/v1/targets leaves out the round history unless asked (?history=1)', async () => {
  const port = await closedPort();
  const config = loadConfig(
    {
      responder: { enabled: false },
      web: { listenAddress: '127.0.0.1:0' },
      icmp: { capture: 'off' },
      targets: [{ name: 'x', address: `127.0.0.1:${port}` }],
    },
    'test',
    {},
  );
  const service = await Service.start(config, { clock: new FakeClock() });
  try {
    const plain = await request(service.app).get('/api/v1/targets').expect(200);
    assert.equal('history' in plain.body.data[0], false);
    const full = await request(service.app).get('/api/v1/targets?history=1').expect(200);
    assert.deepEqual(full.body.data[0].history, []);
  } finally {
    await service.stop();
  }
});

test('/api/v1/targets?target=NAME gives those targets only (repeat it, or separate names with commas); the page shows capture and reload state', async () => {
  const port = await closedPort();
  const config = loadConfig(
    {
      responder: { enabled: false },
      web: { listenAddress: '127.0.0.1:0' },
      icmp: { capture: 'off' },
      targets: ['a', 'b', 'c'].map((name) => ({ name, address: `127.0.0.1:${port}` })),
    },
    'test',
    {},
  );
  const service = await Service.start(config, { clock: new FakeClock() });
  try {
    const names = async (query: string) =>
      (await request(service.app).get(`/api/v1/targets${query}`).expect(200)).body.data.map((t: { name: string }) => t.name);
    assert.deepEqual(await names(''), ['a', 'b', 'c']);
    assert.deepEqual(await names('?target=b'), ['b']);
    assert.deepEqual(await names('?target=a&target=c'), ['a', 'c']);
    assert.deepEqual(await names('?target=c,a&history=1'), ['a', 'c']);
    assert.deepEqual(await names('?target=nope'), []);
    const page = await request(service.app).get('/').expect(200);
    assert.match(page.text, /data-capture="off" data-reload="ok">/);
    assert.match(page.text, /config test loaded \d\d:\d\d:\d\d UTC \(start\)/);
  } finally {
    await service.stop();
  }
});
