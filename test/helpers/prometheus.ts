import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { closedPort } from './servers.js';

/** Absolute path of an executable on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

/**
 * True when every tool is installed. Otherwise the test is skipped with a loud reason, except under
 * CI=true, where a missing tool is a failure: CI installs Debian's `prometheus` package.
 */
export function haveTools(t: TestContext, ...commands: string[]): boolean {
  const missing = commands.filter((c) => !which(c));
  if (missing.length === 0) return true;
  const reason = `${missing.join(' and ')} not on PATH: install Debian's prometheus package (apt-get install -y prometheus)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; required when CI=true`);
  console.warn(`\n*** SKIPPED "${t.name}": ${reason} ***\n`);
  t.skip(reason);
  return false;
}

/** The Accept headers Prometheus 2.42 sends with and without --enable-feature=native-histograms (read off its scrapes). */
export const prometheusAccept = {
  native:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  classic:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
};

export interface ToolResult {
  readonly status: number | null;
  readonly output: string;
}

export function promtool(...args: string[]): ToolResult {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A native histogram in a query result: count, sum and [boundary rule, lower, upper, count] per bucket. */
export interface HistogramValue {
  readonly count: string;
  readonly sum: string;
  readonly buckets?: [number, string, string, string][];
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value?: [number, string];
  readonly values?: [number, string][];
  readonly histogram?: [number, HistogramValue];
  readonly histograms?: [number, HistogramValue][];
}

export interface PrometheusOptions {
  /** host:port of each scrape target (job "tcpping"). */
  readonly targets: readonly string[];
  readonly ruleFiles?: readonly string[];
  readonly intervalSeconds?: number;
  /** --enable-feature=native-histograms: scrapes ask for protobuf, and histograms with native buckets are stored only as native ones. */
  readonly nativeHistograms?: boolean;
}

export interface Prometheus {
  readonly url: string;
  readonly pid: number;
  /** Instant query; throws on any API error, e.g. a PromQL parse error. */
  query(expr: string, time?: number): Promise<Sample[]>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Sample[]>;
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** Starts Debian's `prometheus` on a free loopback port with its own config and storage in a temp dir. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-prometheus-'));
  const interval = `${options.intervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: 'tcpping', static_configs: [{ targets: options.targets }] }],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`];
  args.push(`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn');
  if (options.nativeHistograms) args.push('--enable-feature=native-histograms');
  const child = spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = () => stopChild(child).finally(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitReady(url, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }

  async function api<T>(path: string, body?: URLSearchParams): Promise<T> {
    const response = await fetch(`${url}${path}`, body ? { method: 'POST', body } : {});
    const json = (await response.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (json.status !== 'success') throw new Error(`Prometheus ${path}: ${json.errorType}: ${json.error}`);
    return json.data;
  }
  const run = async (path: string, params: Record<string, string>) => {
    try {
      return (await api<{ result: Sample[] }>(path, new URLSearchParams(params))).result;
    } catch (error) {
      throw new Error(`${(error as Error).message}\n  query: ${params.query}`);
    }
  };
  return {
    url,
    pid: child.pid ?? -1,
    api,
    query: (query, time = Date.now() / 1000) => run('/api/v1/query', { query, time: String(time) }),
    queryRange: (query, start, end, step) =>
      run('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(step) }),
    stop,
  };
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${stderr()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus not ready at ${url} after 20 s:\n${stderr()}`);
}

/** SIGTERM by pid, SIGKILL if it has not exited after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Finite numbers in a query result (instant or range); a native histogram counts by its count. */
export function finiteValues(samples: readonly Sample[]): number[] {
  const raw = samples.flatMap((s) => [
    ...(s.value ? [s.value[1]] : []),
    ...(s.values ?? []).map(([, v]) => v),
    ...(s.histogram ? [s.histogram[1].count] : []),
    ...(s.histograms ?? []).map(([, h]) => h.count),
  ]);
  return raw.map(Number).filter(Number.isFinite);
}
