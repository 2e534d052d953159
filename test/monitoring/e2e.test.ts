import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Service } from '../../src/service.js';
import { finiteValues, haveTools, type Prometheus, startPrometheus, which } from '../helpers/prometheus.js';
import { builtins, dashboardQueries, loadDashboard, loadRules, ruleFiles, startTcpping, substitute, variableSelectors } from './model.js';

// The service (responder dropping 20%, target "self" pinged 20 times a second) scraped every second
// by a real Prometheus that loads the shipped rules. ~30 s of data is enough for every query.
const MIN_PINGS = 600;
const LOSS_TOLERANCE = 0.07;

let service: Service | undefined;
let prometheus: Prometheus | undefined;
let instance = '';
const dashboard = loadDashboard();
const rules = loadRules();

before(
  async () => {
    if (!which('prometheus')) return; // each test skips, or fails under CI=true
    service = await startTcpping();
    instance = `127.0.0.1:${service.httpAddress?.port}`;
    prometheus = await startPrometheus({ targets: [instance], ruleFiles, intervalSeconds: 1 });
    const deadline = Date.now() + 75_000;
    for (;;) {
      const sent = finiteValues(await prometheus.query('tcpping_pings_sent_total{target="self"}'))[0] ?? 0;
      if (sent >= MIN_PINGS) break;
      if (Date.now() > deadline) throw new Error(`Prometheus saw only ${sent} pings after 75 s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  },
  { timeout: 100_000 },
);

after(async () => {
  await prometheus?.stop();
  await service?.stop();
});

/** Prometheus, or a skip (a failure under CI=true) when Debian's prometheus is not installed. */
function running(t: Parameters<typeof haveTools>[0]): Prometheus | undefined {
  if (!haveTools(t, 'prometheus')) return undefined;
  return prometheus ?? assert.fail('Prometheus did not start');
}

test('Prometheus scrapes the service and every shipped rule evaluates without error', async (t) => {
  const prom = running(t);
  if (!prom) return;
  const { activeTargets } = await prom.api<{ activeTargets: { health: string; lastError: string }[] }>('/api/v1/targets');
  assert.deepEqual(
    activeTargets.map((a) => [a.health, a.lastError]),
    [['up', '']],
  );
  type Group = { rules: { name: string; health: string; lastError?: string }[] };
  const { groups } = await prom.api<{ groups: Group[] }>('/api/v1/rules');
  const loaded = groups.flatMap((g) => g.rules);
  assert.deepEqual(loaded.map((r) => r.name).sort(), rules.map((r) => r.record ?? r.alert).sort());
  assert.deepEqual(
    loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`),
    [],
  );
});

test('the dashboard variables find the instance and the target', async (t) => {
  const prom = running(t);
  if (!prom) return;
  for (const { name, selector, label } of variableSelectors(dashboard)) {
    const values: (string | undefined)[] = (await prom.query(substitute(selector, { instance }))).map((s) => s.metric[label]);
    assert.deepEqual(values, [name === 'instance' ? instance : 'self'], name);
  }
});

test('every dashboard query returns data', async (t) => {
  const prom = running(t);
  if (!prom) return;
  const now = Date.now() / 1000;
  const empty: string[] = [];
  for (const q of dashboardQueries(dashboard)) {
    const expr = substitute(q.expr, { ...builtins, instance, target: 'self' });
    const result = q.instant ? await prom.query(expr, now) : await prom.queryRange(expr, now - 20, now, 2);
    if (finiteValues(result).length === 0) empty.push(`${q.name}: ${expr}`);
  }
  assert.deepEqual(empty, [], 'queries without data');
});

test('every recording rule returns data', async (t) => {
  const prom = running(t);
  if (!prom) return;
  for (const r of rules.filter((rule) => rule.record)) {
    const matchers = Object.entries(r.labels ?? {}).map(([k, v]) => `${k}="${v}"`);
    const expr = `${r.record}{${matchers.join(', ')}}`;
    assert.ok(finiteValues(await prom.query(expr)).length > 0, `${expr} has no data`);
  }
});

test('the loss ratio reads about 0.2, the responder drop rate', async (t) => {
  const prom = running(t);
  if (!prom) return;
  const [recorded] = finiteValues(await prom.query('target:tcpping_pings_loss:ratio_rate5m{target="self"}'));
  const [counted] = finiteValues(
    await prom.query('sum(tcpping_pings_lost_total{target="self"}) / sum(tcpping_pings_sent_total{target="self"})'),
  );
  t.diagnostic(`loss ratio: recording rule ${recorded?.toFixed(3)}, counters ${counted?.toFixed(3)}`);
  for (const ratio of [recorded, counted]) {
    assert.ok(ratio !== undefined && Math.abs(ratio - 0.2) < LOSS_TOLERANCE, `loss ratio ${ratio}`);
  }
});

test('alerts evaluate on live data: 20% loss makes TcppingHighLoss pending, the target is not down', async (t) => {
  const prom = running(t);
  if (!prom) return;
  const alerts = await prom.query('ALERTS');
  const states = Object.fromEntries(alerts.map((a) => [a.metric.alertname, a.metric.alertstate]));
  assert.equal(states.TcppingHighLoss, 'pending');
  assert.equal(states.TcppingTargetDown, undefined);
  // The dashboard's alert annotation selects it, once it fires (asked here for the pending state it is in).
  const annotation = (dashboard as unknown as { annotations: { list: { expr?: string }[] } }).annotations.list.find((a) => a.expr);
  const pending = substitute(annotation?.expr ?? '', { instance }).replace('alertstate="firing"', 'alertstate="pending"');
  const found = await prom.query(pending);
  assert.deepEqual(
    found.map((a) => [a.metric.alertname, a.metric.target, a.metric.instance]),
    [['TcppingHighLoss', 'self', instance]],
  );
});
