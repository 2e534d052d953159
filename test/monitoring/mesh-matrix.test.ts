import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { finiteValues, haveTools, type Prometheus, startPrometheus, which } from '../helpers/prometheus.js';
import { closedPort } from '../helpers/servers.js';
import { builtins, loadDashboard, substitute, visiblePanels } from './model.js';

// Two agents as the mesh runs them: each a service with its own responder, each pinging both
// responders under the peers' node names; one Prometheus scrapes both. The dashboard's matrix
// queries must give one cell per (scraping instance, target), with the loss each path has.

const agents: Service[] = [];
let prometheus: Prometheus | undefined;
const instances: string[] = [];

before(
  async () => {
    if (!which('prometheus')) return;
    const ports = [await closedPort(), await closedPort()];
    const peers = [
      { name: 'node-a', address: `127.0.0.1:${ports[0]}` },
      { name: 'node-b', address: `127.0.0.1:${ports[1]}` },
    ];
    for (const [i, dropRate] of [0, 0.5].entries()) {
      const config = loadConfig(
        {
          responder: { listen: `127.0.0.1:${ports[i]}`, dropRate },
          web: { listenAddress: '127.0.0.1:0' },
          icmp: { capture: 'off' },
          defaults: { count: 20, intervalMs: 1000, timeoutMs: 50 },
          targets: peers,
        },
        'test',
        {},
      );
      const agent = await Service.start(config);
      agents.push(agent);
      instances.push(`127.0.0.1:${agent.httpAddress?.port}`);
    }
    prometheus = await startPrometheus({ targets: instances, intervalSeconds: 1 });
    // Every path (2 agents × 2 targets) scraped at least 5 times with pings in between.
    const ready = 'count(count_over_time(tcpping_pings_sent_total[1m]) >= 5 and tcpping_pings_sent_total > 40)';
    const deadline = Date.now() + 40_000;
    for (;;) {
      const paths = finiteValues(await prometheus.query(ready))[0] ?? 0;
      if (paths === 4) break;
      if (Date.now() > deadline) throw new Error(`Prometheus had ${paths} of 4 paths after 40 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  },
  { timeout: 60_000 },
);

after(async () => {
  await prometheus?.stop();
  for (const agent of agents) await agent.stop();
});

test("the mesh matrix panels give a cell per source instance × target, with that path's loss", async (t) => {
  if (!haveTools(t, 'prometheus')) return;
  const prom = prometheus ?? assert.fail('Prometheus did not start');
  const panels = visiblePanels(loadDashboard()).filter((p) => /^Mesh .* matrix/.test(p.title));
  assert.equal(panels.length, 2);
  // Grafana turns a multi-value variable set to All into a regex alternation.
  const vars = { ...builtins, instance: instances.join('|'), target: '.*' };
  const cells = async (title: RegExp) => {
    const panel = panels.find((p) => title.test(p.title)) ?? assert.fail(`no ${title}`);
    const result = await prom.query(substitute(panel.targets?.[0]?.expr ?? '', vars));
    return new Map(result.map((s) => [`${s.metric.instance} → ${s.metric.target}`, Number(s.value?.[1])]));
  };
  const loss = await cells(/loss/);
  const rtt = await cells(/RTT/);
  const pairs = instances.flatMap((i) => ['node-a', 'node-b'].map((target) => `${i} → ${target}`)).sort();
  assert.deepEqual([...loss.keys()].sort(), pairs);
  assert.deepEqual([...rtt.keys()].sort(), pairs);
  for (const source of instances) {
    assert.ok((loss.get(`${source} → node-a`) ?? 1) < 0.05, `${source} → node-a drops nothing`);
    const toB = loss.get(`${source} → node-b`) ?? 0;
    assert.ok(toB > 0.3 && toB < 0.7, `${source} → node-b drops half: ${toB}`);
    for (const target of ['node-a', 'node-b']) {
      const median = rtt.get(`${source} → ${target}`) ?? Number.NaN;
      assert.ok(median > 0 && median < 0.05, `${source} → ${target} median RTT ${median}`);
    }
  }
});
