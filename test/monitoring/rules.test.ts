import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { haveTools, promtool } from '../helpers/prometheus.js';
import { loadRules, metricNames, repoPath, ruleFiles, ruleTestFile, servedMetricNames } from './model.js';

const rules = loadRules();
const alerts = rules.filter((r) => r.alert);
const records = rules.filter((r) => r.record);

test('promtool check rules passes on every rule file', (t) => {
  if (!haveTools(t, 'promtool')) return;
  const result = promtool('check', 'rules', ...ruleFiles);
  assert.equal(result.status, 0, result.output);
  assert.equal(result.output.match(/SUCCESS/g)?.length, ruleFiles.length, result.output);
});

test('promtool check config passes on the example scrape config (and the rule files it loads)', (t) => {
  if (!haveTools(t, 'promtool')) return;
  const result = promtool('check', 'config', repoPath('deploy/prometheus/prometheus.yml'));
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /SUCCESS: 8 rules found[\s\S]*SUCCESS: 7 rules found/);
});

test('promtool test rules passes', (t) => {
  if (!haveTools(t, 'promtool')) return;
  const result = promtool('test', 'rules', ruleTestFile);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /SUCCESS/);
});

test('the alerts the issue asks for exist, each with severity, summary and description', () => {
  const names = alerts.map((a) => a.alert);
  const wanted = [
    'TargetDown',
    'HighLoss',
    'HighLatency',
    'IcmpUnreachable',
    'PathChangedWithLoss',
    'IcmpCaptureDisabled',
    'ConfigReloadFailed',
    'SchedulerLagging',
  ];
  assert.deepEqual(
    names,
    wanted.map((n) => `Tcpping${n}`),
  );
  for (const a of alerts) {
    assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, `${a.alert} severity`);
    assert.ok((a.annotations?.summary ?? '').length > 10, `${a.alert} summary`);
    assert.ok((a.annotations?.description ?? '').length > 40, `${a.alert} description`);
  }
  const highLoss = alerts.find((a) => a.alert === 'TcppingHighLoss')?.expr ?? '';
  assert.match(
    highLoss,
    /> 0\.10[\s\S]*> 0\.05[\s\S]*ALERTS\{alertname="TcppingHighLoss", alertstate="firing"\}/,
    'raise/clear hysteresis',
  );
});

test('recording rules are named level:metric:operations and cover loss ratio and RTT quantiles', () => {
  for (const r of records) assert.match(r.record ?? '', /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, r.record);
  const names = records.map((r) => r.record);
  assert.ok(names.includes('target:tcpping_pings_loss:ratio_rate5m'));
  const quantiles = records
    .filter((r) => r.record === 'target:tcpping_rtt_seconds:histogram_quantile_rate5m')
    .map((r) => r.labels?.quantile);
  assert.deepEqual(quantiles, ['0.1', '0.5', '0.9', '0.99']);
});

test('the promtool tests show every alert both firing and not firing', () => {
  type AlertTest = { alertname: string; exp_alerts?: unknown[] };
  const doc = parse(readFileSync(ruleTestFile, 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] };
  const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const a of alerts) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      `${a.alert} is never tested firing`,
    );
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `${a.alert} is never tested not firing`,
    );
  }
});

test('rules use only metrics the running service exports, recorded series and ALERTS', async () => {
  const known = new Set([...(await servedMetricNames()), ...records.map((r) => r.record ?? ''), 'ALERTS']);
  const unknown = rules.flatMap((r) =>
    metricNames(r.expr)
      .filter((n) => !known.has(n))
      .map((n) => `${r.record ?? r.alert}: ${n}`),
  );
  assert.deepEqual(unknown, []);
});
