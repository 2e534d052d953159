import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import request from 'supertest';
import { loadConfigFile } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { parseExposition } from '../helpers/exposition.js';
import { closedPort } from '../helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-trace-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Waits (bounded) until `done` holds for the target's status. */
async function until<T>(read: () => T | undefined, what: string, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('on loopback: a target that begins to lose pings is traced, and again when it recovers; API, page and /metrics show it', async () => {
  const port = await closedPort();
  const file = join(dir, 'tcpping.json');
  const write = (dropRate: number) =>
    writeFileSync(
      file,
      JSON.stringify({
        responder: { listen: `127.0.0.1:${port}`, dropRate },
        web: { listenAddress: '127.0.0.1:0' },
        icmp: { capture: 'off' },
        defaults: { count: 2, intervalMs: 200, timeoutMs: 50 },
        trace: { probeTimeoutMs: 200, maxPerMinute: 60 },
        targets: [{ name: 'self', address: `127.0.0.1:${port}` }],
      }),
    );
  write(1);
  const service = await Service.start(loadConfigFile(file, {}));
  try {
    const self = () => service.status.list(false)[0];
    const lossTrace = await until(() => self()?.path ?? undefined, 'the trace at loss onset');
    assert.equal(lossTrace.trigger, 'loss');
    // The responder accepts the handshake (it drops the echo line): the destination answers at hop 1.
    assert.deepEqual(
      [
        lossTrace.end,
        lossTrace.reached,
        lossTrace.answersStopAt,
        lossTrace.changedHops,
        lossTrace.hops.map((h) => [h.hop, h.address, h.answer]),
      ],
      ['syn-ack', true, null, null, [[1, '127.0.0.1', 'syn-ack']]],
    );
    assert.ok(lossTrace.sourcePort >= 1024);

    write(0);
    const reload = await service.reload('test');
    assert.ok(reload.ok);
    const recovered = await until(
      () => (self()?.path?.trigger === 'recovery' ? (self()?.path ?? undefined) : undefined),
      'the trace at recovery',
    );
    assert.equal(recovered.sourcePort, lossTrace.sourcePort, 'one flow per target, kept from trace to trace');
    assert.deepEqual(recovered.changedHops, [], 'compared with the trace before: nothing changed');

    const api = await request(service.app).get('/api/v1/targets').expect(200);
    const shown = api.body.data[0];
    assert.equal(shown.path.trigger, 'recovery');
    assert.equal(shown.path.hops[0].address, '127.0.0.1');
    assert.equal(shown.pathChanges, 0);

    const page = await request(service.app).get('/').expect(200);
    assert.match(
      page.text,
      /<td class="path" data-path="syn-ack" data-path-stop="" data-path-stop-address="" data-path-changes="0">SYN-ACK \(port open\) at hop 1/,
    );

    const metrics = parseExposition((await request(service.app).get('/metrics').expect(200)).text);
    assert.equal(metrics.value('tcpping_path_traces_total', { target: 'self' }), 2);
    assert.equal(metrics.value('tcpping_path_changes_total', { target: 'self' }), 0);
    assert.equal(metrics.value('tcpping_path_hops', { target: 'self' }), 1);
    assert.equal(metrics.value('tcpping_path_last_hop_info', { target: 'self', hop: '1', address: '127.0.0.1', answer: 'syn-ack' }), 1);
  } finally {
    await service.stop();
  }
});
