import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../src/config/load.js';
import { kernelTimingUnavailable } from '../../src/probe/index.js';
import type { ProbeContext } from '../../src/probe/types.js';
import { Service } from '../../src/service.js';
import { systemClock } from '../../src/util/clock.js';
import { parseExposition } from '../helpers/exposition.js';
import { closedPort, waitFor } from '../helpers/servers.js';

/** A service pinging its own responder; `probeContext` as given (the default: kernel timing where it works). */
async function pinging(probeContext?: ProbeContext) {
  const port = await closedPort();
  const config = loadConfig(
    {
      responder: { listen: `127.0.0.1:${port}`, dropRate: 0 },
      web: { listenAddress: '127.0.0.1:0' },
      icmp: { capture: 'off' },
      defaults: { count: 3, intervalMs: 500, timeoutMs: 1000 },
      targets: [{ name: 'self', address: `127.0.0.1:${port}` }],
    },
    'test',
    {},
  );
  const service = await Service.start(config, probeContext ? { probeContext } : {});
  try {
    await waitFor(() => service.status.list().every((t) => t.rounds >= 1), 20_000, 'a round');
    const metrics = parseExposition((await request(service.app).get('/metrics').expect(200)).text);
    const api = (await request(service.app).get('/api/v1/targets').expect(200)).body as { data: { name: string; timing: string }[] };
    return { metrics, timing: api.data[0]?.timing };
  } finally {
    await service.stop();
  }
}

test('kernel timing where TCP_INFO works: said on /metrics and per target in the API', async (t) => {
  if (kernelTimingUnavailable !== undefined && process.env.CI !== 'true') {
    t.skip(`no kernel timing here: ${kernelTimingUnavailable}`);
    return;
  }
  const { metrics, timing } = await pinging();
  assert.equal(metrics.value('tcpping_kernel_timing_enabled'), 1);
  assert.equal(timing, 'kernel');
  assert.equal(metrics.value('tcpping_connect_retransmits_total', { target: 'self' }), 0);
  // The event loop's delay, a summary computed at scrape time.
  assert.ok(metrics.has('tcpping_event_loop_delay_seconds', { quantile: '0.99' }));
  assert.ok(metrics.value('tcpping_event_loop_delay_seconds_count') > 0);
});

test('userland timing, the fallback: said on /metrics and per target in the API', async () => {
  const { metrics, timing } = await pinging({ clock: systemClock, connect });
  assert.equal(metrics.value('tcpping_kernel_timing_enabled'), 0);
  assert.equal(timing, 'userland');
  assert.equal(metrics.value('tcpping_pings_lost_total', { target: 'self' }), 0);
});
