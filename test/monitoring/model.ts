import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { closedPort } from '../helpers/servers.js';

/** The shipped monitoring files, read as a user's Grafana and Prometheus would read them. */
export const repoPath = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const dashboardPath = repoPath('grafana/dashboards/tcpping.json');
export const ruleFiles = ['deploy/prometheus/rules/tcpping.rules.yml', 'deploy/prometheus/rules/tcpping.alerts.yml'].map(repoPath);
export const ruleTestFile = repoPath('deploy/prometheus/tests/tcpping_test.yml');

export interface Ref {
  readonly type?: string;
  readonly uid?: string;
}
export interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: Ref;
  readonly instant?: boolean;
}
export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly datasource?: Ref;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
  readonly repeat?: string;
  readonly fieldConfig?: { defaults: Record<string, unknown>; overrides: { properties: { id: string; value: unknown }[] }[] };
}
export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: unknown;
  readonly datasource?: Ref;
  readonly multi?: boolean;
  readonly includeAll?: boolean;
}
export interface Dashboard {
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

export const loadDashboard = (): Dashboard => JSON.parse(readFileSync(dashboardPath, 'utf8'));

/** Every panel that is not a row, including panels nested in collapsed rows. */
export const visiblePanels = (d: Dashboard): Panel[] =>
  d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p])).filter((p) => p.type !== 'row');

/** The series selector inside each query variable's `label_values(selector, label)`. */
export const variableSelectors = (d: Dashboard): { name: string; selector: string; label: string }[] =>
  d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const query = (v.query as { query: string }).query;
      const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(query) ?? assert.fail(`variable ${v.name}: ${query}`);
      return { name: v.name, selector: selector ?? '', label: label ?? '' };
    });

export interface Query {
  readonly name: string;
  readonly expr: string;
  readonly instant: boolean;
}
export const dashboardQueries = (d: Dashboard): Query[] =>
  visiblePanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ name: `${p.title} [${t.refId}]`, expr: t.expr, instant: Boolean(t.instant) })),
  );

/** Fills in Grafana's variables the way Grafana would for one instance and one target. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`no value for Grafana variable ${whole} in ${expr}`);
    return value;
  });
}
export const builtins = { __rate_interval: '10s', __interval: '5s', __range: '1m' };

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
export const loadRules = (): Rule[] =>
  ruleFiles.flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));

const notMetrics = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'group_left', 'group_right']);

/** Metric names a PromQL expression selects (strings, matchers, ranges and grouping lists removed). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/(?<![\w.$:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1] ?? '');
  return [...new Set(names.filter((n) => !notMetrics.has(n.toLowerCase())))];
}

/** Series names in a /metrics exposition, histograms expanded to _bucket, _sum and _count. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** The service as the issue runs it: a responder dropping 20% and one target, "self", pinging it every second. */
export async function startTcpping(extra: Record<string, unknown> = {}): Promise<Service> {
  const port = await closedPort();
  const config = loadConfig(
    {
      ...extra,
      responder: { listen: `127.0.0.1:${port}`, dropRate: 0.2 },
      web: { listenAddress: '127.0.0.1:0' },
      defaults: { count: 20, intervalMs: 1000, timeoutMs: 100 },
      targets: [{ name: 'self', address: `127.0.0.1:${port}` }],
    },
    'test',
    {},
  );
  return Service.start(config);
}

/** Metric names a freshly started service serves on /metrics. */
export async function servedMetricNames(): Promise<Set<string>> {
  const service = await startTcpping();
  try {
    const response = await request(service.app).get('/metrics').expect(200);
    return exportedNames(response.text);
  } finally {
    await service.stop();
  }
}
