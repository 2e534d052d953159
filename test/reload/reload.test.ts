import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { loadConfigFile } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { parseExposition } from '../helpers/exposition.js';
import { prometheusAccept } from '../helpers/prometheus.js';
import { readMetricFamilies } from '../helpers/protobuf.js';
import { closedPort } from '../helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-reload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Target {
  name: string;
  address: string;
  [key: string]: unknown;
}

function writeConfig(file: string, port: number, targets: Target[], extra: Record<string, unknown> = {}): void {
  const doc = {
    responder: { listen: `127.0.0.1:${port}`, dropRate: 0 },
    web: { listenAddress: '127.0.0.1:0', enableLifecycle: true },
    icmp: { capture: 'off' },
    defaults: { count: 2, intervalMs: 200, timeoutMs: 300, mode: 'connect' },
    targets,
    ...extra,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

async function metrics(service: Service) {
  return parseExposition((await request(service.app).get('/metrics').expect(200)).text);
}

const sentOf = async (service: Service, target: string) => (await metrics(service)).value('tcpping_pings_sent_total', { target });

async function waitForSent(service: Service, target: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await sentOf(service, target)) < atLeast) {
    if (Date.now() > deadline) throw new Error(`${target} never reached ${atLeast} pings`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('reload as a diff (POST /-/reload)', () => {
  let service: Service;
  let port: number;
  const file = join(dir, 'reload.json');
  before(async () => {
    port = await closedPort();
    const self = `127.0.0.1:${port}`;
    writeConfig(file, port, [
      { name: 'keep', address: self },
      { name: 'drop', address: self },
      { name: 'change', address: self },
    ]);
    service = await Service.start(loadConfigFile(file));
    for (const t of ['keep', 'drop', 'change']) await waitForSent(service, t, 4);
  });
  after(() => service.stop());

  test('unchanged keeps counting from where it was, removed disappears, added appears, changed restarts', async () => {
    const keepBefore = await sentOf(service, 'keep');
    const changeBefore = await sentOf(service, 'change');
    const self = `127.0.0.1:${port}`;
    writeConfig(file, port, [
      { name: 'keep', address: self },
      { name: 'change', address: self, count: 3 },
      { name: 'new', address: self, labels: { team: 'net' } },
    ]);
    const res = await request(service.app).post('/-/reload').expect(200);
    assert.match(res.text, /^Reloaded: 1 added, 1 removed, 1 changed, 1 unchanged\.$/m);
    const m = await metrics(service);
    assert.ok(!m.has('tcpping_pings_sent_total', { target: 'drop' }), 'the removed target is gone');
    assert.ok(!m.has('tcpping_target_info', { target: 'drop' }));
    assert.ok(m.has('tcpping_target_info', { target: 'new', team: 'net' }), 'labels on tcpping_target_info');
    assert.ok(m.value('tcpping_pings_sent_total', { target: 'keep' }) >= keepBefore, 'never back to zero');
    assert.ok(m.value('tcpping_pings_sent_total', { target: 'change' }) >= changeBefore, 'a changed target keeps its counters');
    await waitForSent(service, 'keep', keepBefore + 4);
    await waitForSent(service, 'new', 3);
    assert.equal(service.status.list().find((t) => t.name === 'change')?.settings.count, 3);
    assert.equal((await metrics(service)).value('tcpping_config_last_reload_successful'), 1);
  });

  test('an invalid config is not applied: the error names file and key, the old targets keep running', async () => {
    writeFileSync(file, JSON.stringify({ targets: [{ name: 'x', address: '127.0.0.1:1', cuont: 3 }] }));
    const keepBefore = await sentOf(service, 'keep');
    const res = await request(service.app).post('/-/reload').expect(500);
    assert.equal(
      res.text,
      `Reload failed; the running configuration stays:\n${file}: unknown key "targets[0].cuont" (did you mean "targets[0].count"?)\n`,
    );
    assert.equal((await metrics(service)).value('tcpping_config_last_reload_successful'), 0);
    await waitForSent(service, 'keep', keepBefore + 2);
    assert.deepEqual(
      service.status
        .list()
        .map((t) => t.name)
        .sort(),
      ['change', 'keep', 'new'],
    );
  });

  test('live settings apply at once; the others are reported as needing a restart', async () => {
    const self = `127.0.0.1:${port}`;
    writeConfig(file, port, [{ name: 'keep', address: self, mode: 'echo' }], {
      responder: { listen: '127.0.0.1:1', dropRate: 1 },
    });
    const res = await request(service.app).post('/-/reload').expect(200);
    assert.match(res.text, /^Applied live: responder\.dropRate\.$/m);
    assert.match(res.text, /^Changed, but needs a restart to take effect: responder\.listen\.$/m);
    const lostBefore = (await metrics(service)).value('tcpping_pings_lost_total', { target: 'keep', reason: 'timeout' });
    const deadline = Date.now() + 10_000;
    while ((await metrics(service)).value('tcpping_pings_lost_total', { target: 'keep', reason: 'timeout' }) < lostBefore + 2) {
      assert.ok(Date.now() < deadline, 'dropRate 1 did not take effect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});

describe('metrics settings on reload', () => {
  test('metrics.nativeHistograms applies at once, with no reset; metrics.rttBuckets needs a restart', async () => {
    const file = join(dir, 'native.json');
    const port = await closedPort();
    const targets = [{ name: 'a', address: `127.0.0.1:${port}` }];
    writeConfig(file, port, targets);
    const service = await Service.start(loadConfigFile(file));
    const rtt = async () => {
      const res = await request(service.app).get('/metrics').set('Accept', prometheusAccept.native).buffer(true).parse(binary).expect(200);
      return readMetricFamilies(res.body).find((f) => f.name === 'tcpping_rtt_seconds')?.metrics[0]?.histogram;
    };
    try {
      await waitForSent(service, 'a', 2);
      assert.equal((await rtt())?.schema, 4);
      writeConfig(file, port, targets, { metrics: { nativeHistograms: false } });
      const off = await request(service.app).post('/-/reload').expect(200);
      assert.match(off.text, /^Applied live: metrics\.nativeHistograms\.$/m);
      const classic = await rtt();
      assert.deepEqual([classic?.schema, classic?.positiveSpans], [0, []]);
      const count = classic?.sampleCount ?? 0;
      assert.ok(count >= 1);

      writeConfig(file, port, targets, { metrics: { nativeHistograms: true, rttBuckets: [0.001, 1] } });
      const on = await request(service.app).post('/-/reload').expect(200);
      assert.match(on.text, /^Applied live: metrics\.nativeHistograms\.$/m);
      assert.match(on.text, /^Changed, but needs a restart to take effect: metrics\.rttBuckets\.$/m);
      const native = await rtt();
      assert.equal(native?.schema, 4);
      assert.ok((native?.sampleCount ?? 0) >= count, 'no reset');
      assert.equal(native?.buckets.length, 37, 'the running bucket layout stays until a restart');
    } finally {
      await service.stop();
    }
  });
});

/** supertest: the body as bytes (on Node, the response it hands a parser is the incoming stream). */
function binary(res: unknown, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('a reload racing with shutdown', () => {
  test('stop() waits for the reload, and nothing is pinged after it', async () => {
    const file = join(dir, 'race.json');
    const port = await closedPort();
    const self = `127.0.0.1:${port}`;
    writeConfig(file, port, [{ name: 'a', address: self }]);
    const service = await Service.start(loadConfigFile(file));
    await waitForSent(service, 'a', 2);
    writeConfig(file, port, [
      { name: 'a', address: self, count: 3 },
      { name: 'b', address: self },
    ]);
    const reloading = service.reload('test');
    await service.stop();
    await reloading;
    const before = await metrics(service);
    await new Promise((resolve) => setTimeout(resolve, 600)); // three intervals
    const after = await metrics(service);
    for (const target of ['a', 'b']) {
      assert.equal(after.value('tcpping_pings_sent_total', { target }), before.value('tcpping_pings_sent_total', { target }), target);
    }
  });
});

describe('the lifecycle endpoint', () => {
  test('disabled: 403; wrong method: 405', async () => {
    const file = join(dir, 'nolifecycle.json');
    const port = await closedPort();
    writeConfig(file, port, [], { web: { listenAddress: '127.0.0.1:0', enableLifecycle: false } });
    const service = await Service.start(loadConfigFile(file));
    try {
      const res = await request(service.app).post('/-/reload').expect(403);
      assert.match(res.text, /Lifecycle API is not enabled/);
      const get = await request(service.app).get('/-/reload').expect(405);
      assert.equal(get.headers.allow, 'POST');
    } finally {
      await service.stop();
    }
  });
});

describe('target files and watching', () => {
  test('file_sd targets with labels; a change to a file is picked up; a broken file keeps its targets', async () => {
    const base = join(dir, 'sd');
    mkdirSync(join(base, 'targets'), { recursive: true });
    const port = await closedPort();
    const self = `127.0.0.1:${port}`;
    const config = join(base, 'tcpping.json');
    writeConfig(config, port, [], { targetFiles: ['targets/*.yaml'] });
    const sd = join(base, 'targets', 'web.yaml');
    writeFileSync(sd, `- targets: ["${self}"]\n  labels: { name: web-1, team: web }\n`);
    const service = await Service.start(loadConfigFile(config), { watchFiles: true });
    try {
      await waitForSent(service, 'web-1', 2);
      assert.ok((await metrics(service)).has('tcpping_target_info', { target: 'web-1', team: 'web', address: self }));

      writeFileSync(
        sd,
        `- targets: ["${self}"]\n  labels: { name: web-1, team: web }\n- targets: ["${self}"]\n  labels: { name: web-2 }\n`,
      );
      await waitForSent(service, 'web-2', 2); // no reload call: the watcher saw the change

      writeFileSync(sd, '- targets: [ "unterminated\n');
      const deadline = Date.now() + 10_000;
      while ((await metrics(service)).value('tcpping_target_file_last_load_successful', { file: sd }) !== 0) {
        assert.ok(Date.now() < deadline, 'the broken file was never reported');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const before = await sentOf(service, 'web-2');
      await waitForSent(service, 'web-2', before + 2);
      assert.equal((await metrics(service)).value('tcpping_config_last_reload_successful'), 1, 'the config itself is fine');
    } finally {
      await service.stop();
    }
  });
});

describe('names are resolved every round', () => {
  test('localhost resolves (ipv4 preferred); an unresolvable name is a dns loss, never a crash', async () => {
    const file = join(dir, 'dns.json');
    const port = await closedPort();
    writeConfig(file, port, [
      { name: 'byname', address: `localhost:${port}`, family: 'ipv4' },
      { name: 'nowhere', address: `nowhere.invalid:${port}` },
    ]);
    const service = await Service.start(loadConfigFile(file));
    try {
      await waitForSent(service, 'byname', 2);
      await waitForSent(service, 'nowhere', 2);
      await service.stop(); // nothing in flight while the invariant is checked
      const m = await metrics(service);
      assert.equal(
        m.value('tcpping_rtt_seconds_count', { target: 'byname' }),
        m.value('tcpping_pings_sent_total', { target: 'byname' }) - m.value('tcpping_pings_lost_total', { target: 'byname' }),
      );
      assert.ok(m.value('tcpping_rtt_seconds_count', { target: 'byname' }) >= 1);
      assert.ok(m.value('tcpping_pings_lost_total', { target: 'nowhere', reason: 'dns' }) >= 2);
      assert.equal(m.value('tcpping_target_address_changes_total', { target: 'byname' }), 0);
    } finally {
      await service.stop();
    }
  });
});
