import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { stringify } from 'yaml';
import { haveTools, promtool } from '../helpers/prometheus.js';
import {
  builtins,
  type Dashboard,
  dashboardPath,
  dashboardQueries,
  loadDashboard,
  metricNames,
  repoPath,
  servedMetricNames,
  substitute,
  variableSelectors,
  visiblePanels,
} from './model.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE = '${datasource}';
let dashboard: Dashboard;
before(() => {
  dashboard = loadDashboard();
});

const variables = { ...builtins, instance: '127.0.0.1:11001', target: 'self' };

test('the committed dashboard is what grafana/generate.mjs produces', () => {
  const generated = execFileSync(process.execPath, [repoPath('grafana/generate.mjs'), '--stdout'], { encoding: 'utf8' });
  assert.equal(readFileSync(dashboardPath, 'utf8'), generated, 'run `node grafana/generate.mjs` and commit the result');
});

test('schema version and the datasource, instance and multi-value target variables', () => {
  assert.ok(dashboard.schemaVersion >= 39 && dashboard.schemaVersion <= 42, `schemaVersion ${dashboard.schemaVersion}`);
  const text = readFileSync(dashboardPath, 'utf8');
  assert.doesNotMatch(text, /DS_PROMETHEUS|__inputs/, 'an import-time input breaks file provisioning');
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.deepEqual([...vars.keys()], ['datasource', 'instance', 'target']);
  assert.equal(vars.get('datasource')?.type, 'datasource');
  assert.equal(vars.get('datasource')?.query, 'prometheus');
  for (const name of ['instance', 'target']) {
    assert.equal(vars.get(name)?.datasource?.uid, DATASOURCE, name);
    // A mesh has an instance per agent: both variables take several values (the mesh matrix compares instances).
    assert.equal(vars.get(name)?.multi, true, name);
    assert.equal(vars.get(name)?.includeAll, true, name);
  }
});

test('every panel has a title, a description, queries and the datasource variable', () => {
  const panels = visiblePanels(dashboard);
  assert.ok(panels.length >= 15, `${panels.length} panels`);
  for (const p of panels) {
    assert.ok(p.title && (p.description ?? '').length > 20, `panel ${p.id} "${p.title}" needs a description`);
    assert.equal(p.datasource?.uid, DATASOURCE, `panel "${p.title}" datasource`);
    assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has no query`);
    for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, DATASOURCE, `panel "${p.title}" query ${t.refId}`);
    if (p.type === 'timeseries' || p.type === 'heatmap') assert.ok(p.fieldConfig?.defaults.unit, `panel "${p.title}" has no unit`);
  }
  const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows, [
    'Overview',
    'Target $target',
    'Path (TCP traceroute)',
    'Mesh: source agent × target',
    'Responder (embedded ping server)',
    'Service health',
  ]);
});

test('the panels the issue asks for are there', () => {
  const panels = visiblePanels(dashboard);
  const find = (title: RegExp) => panels.find((p) => title.test(p.title)) ?? assert.fail(`no panel matching ${title}`);
  const exprs = (title: RegExp) => (find(title).targets ?? []).map((t) => t.expr).join('\n');
  const props = (title: RegExp) => (find(title).fieldConfig?.overrides ?? []).flatMap((o) => o.properties.map((p) => p.id));

  assert.equal(find(/RTT heatmap/).type, 'heatmap');
  assert.match(
    exprs(/RTT heatmap/),
    /^sum\(increase\(tcpping_rtt_seconds\{.*\}\[\$__rate_interval\]\)\) or sum by \(le\) \(increase\(tcpping_rtt_seconds_bucket\{/,
  );
  // The smoke is exact: the rounds' own figures, no histogram interpolation.
  for (const k of ['min', 'avg', 'max', 'mdev']) assert.match(exprs(/smoke/), new RegExp(`tcpping_round_rtt_${k}_seconds`));
  assert.doesNotMatch(exprs(/smoke/), /histogram_quantile/);
  assert.match(exprs(/smoke/), /tcpping_pings_lost_total/, 'loss in the smoke panel');
  assert.ok(props(/smoke/).includes('custom.fillBelowTo'), 'the smoke is drawn between the rounds figures');
  for (const p of [0.5, 0.9, 0.99]) assert.match(exprs(/RTT percentiles/), new RegExp(`histogram_quantile\\(${p},`));
  assert.match(exprs(/Loss ratio/), /tcpping_pings_lost_total/);
  assert.match(exprs(/Lost pings by reason/), /by \(target, reason\)/);
  assert.ok(props(/ICMP errors/).includes('mappings'), 'ICMP type/code named by value mappings');
  assert.match(exprs(/Target up/), /tcpping_target_up/);
  for (const k of ['min', 'avg', 'max', 'mdev']) assert.match(exprs(/Last round/), new RegExp(`tcpping_round_rtt_${k}_seconds`));
  assert.match(exprs(/Responder pings/), /dropped_total/);
  assert.match(exprs(/Responder connections/), /connections_active/);
  assert.match(exprs(/bad requests/), /bad_requests_total/);
  for (const title of [/Mesh loss matrix/, /Mesh RTT matrix/]) {
    const matrix = find(title);
    assert.equal(matrix.type, 'table');
    assert.match(exprs(title), /by \(instance, target(, le)?\)/, 'one value per source instance and target');
    const transformations = (matrix as unknown as { transformations: { id: string; options: Record<string, string> }[] }).transformations;
    assert.deepEqual(transformations[0], {
      id: 'groupingToMatrix',
      options: { rowField: 'instance', columnField: 'target', valueField: 'Value', emptyValue: 'null' },
    });
  }
  assert.match(exprs(/Where answers stop/), /tcpping_path_last_hop_info/);
  assert.match(exprs(/Path length and changes/), /tcpping_path_hops[\s\S]*increase\(tcpping_path_changes_total/);
  assert.match(exprs(/Traces and path changes/), /tcpping_path_changes_total[\s\S]*tcpping_path_traces_total/);
  const health = ['Scheduler lag', 'Event-loop lag', 'CPU', 'Memory', 'ICMP capture', 'Config reload'];
  for (const title of health) find(new RegExp(`^${title}`));
});

test('every quantile of tcpping_rtt_seconds and tcpping_connect_seconds is native first, classic otherwise, and says so', () => {
  const panels = visiblePanels(dashboard).filter((p) =>
    (p.targets ?? []).some((t) => /histogram_quantile\(.*tcpping_(rtt|connect)_seconds/.test(t.expr)),
  );
  assert.ok(panels.length >= 2);
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      if (!/histogram_quantile/.test(t.expr)) continue;
      // histogram_quantile(q, sum [by (...)] (f(metric{...}[...]))) or histogram_quantile(q, sum by ([..., ]le) (f(metric_bucket{...}[...])))
      const [, q, by, f, metric] =
        /^histogram_quantile\(([\d.]+), sum(?: by \(([\w, ]+)\))? \((rate|increase)\((tcpping_\w+_seconds)\{/.exec(t.expr) ??
        assert.fail(`${p.title}: ${t.expr}`);
      const classic = `) or histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (${f}(${metric}_bucket{`;
      assert.ok(t.expr.includes(classic), `${p.title}: ${t.expr}`);
    }
    assert.match(p.description ?? '', /native histogram[\s\S]*classic buckets/, `${p.title}: the method in the description`);
  }
});

test('every query uses only metric names the running service exports', async () => {
  const served = await servedMetricNames();
  const selectors = variableSelectors(dashboard).map((v) => v.selector);
  assert.deepEqual(selectors.flatMap(metricNames), ['tcpping_build_info', 'tcpping_target_info']);
  const used = [...dashboardQueries(dashboard).map((q) => q.expr), ...selectors].flatMap(metricNames);
  assert.ok(used.length > 20);
  assert.deepEqual([...new Set(used.filter((n) => !served.has(n)))], [], 'not on /metrics');
});

test('every query parses as PromQL (promtool check rules)', (t) => {
  if (!haveTools(t, 'promtool')) return;
  const queries = dashboardQueries(dashboard);
  const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: substitute(q.expr, variables) }));
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-dashboard-'));
  try {
    const file = join(dir, 'queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const result = promtool('check', 'rules', file);
    const named = result.output.replace(/query_(\d+)/g, (m, i: string) => `${m} (${queries[Number(i)]?.name})`);
    assert.equal(result.status, 0, named);
    assert.match(result.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alerts are annotations: the shipped alerts while they fire, for the selected instances', () => {
  const list = (dashboard as unknown as { annotations: { list: { name: string; expr?: string; datasource?: { uid?: string } }[] } })
    .annotations.list;
  const alerts = list.find((a) => a.name === 'tcpping alerts') ?? assert.fail('no alert annotation');
  assert.equal(alerts.datasource?.uid, DATASOURCE);
  assert.equal(alerts.expr, 'ALERTS{alertstate="firing", alertname=~"Tcpping.*", instance=~"$instance"}');
});
