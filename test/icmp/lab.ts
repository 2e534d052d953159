import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sample as ExpositionSample, parseExposition } from '../helpers/exposition.js';
import { type Lab, lab4, lab6 } from '../helpers/netns.js';

/** What each lab address must produce: ICMP type/code (none for the blackhole) and the loss reason. */
export interface Case {
  readonly name: string;
  readonly address: string;
  readonly icmp: readonly [number, number] | undefined;
  readonly reason: string;
}

export const cases: readonly Case[] = [
  { name: 'v4-host-unreachable', address: `${lab4.hostUnreachable}:11000`, icmp: [3, 1], reason: 'unreachable' },
  { name: 'v4-admin-prohibited', address: `${lab4.adminProhibited}:11000`, icmp: [3, 13], reason: 'unreachable' },
  { name: 'v4-port-unreachable', address: `${lab4.portUnreachable}:11000`, icmp: [3, 3], reason: 'refused' },
  { name: 'v4-ttl-exceeded', address: `${lab4.ttlExceeded}:11000`, icmp: [11, 0], reason: 'unreachable' },
  { name: 'v4-unreachable-route', address: `${lab4.unreachableRoute}:11000`, icmp: [3, 1], reason: 'unreachable' },
  { name: 'v4-blackhole', address: `${lab4.blackhole}:11000`, icmp: undefined, reason: 'timeout' },
  { name: 'v6-host-unreachable', address: `[${lab6.hostUnreachable}]:11000`, icmp: [1, 3], reason: 'unreachable' },
  { name: 'v6-admin-prohibited', address: `[${lab6.adminProhibited}]:11000`, icmp: [1, 1], reason: 'unreachable' },
  { name: 'v6-port-unreachable', address: `[${lab6.portUnreachable}]:11000`, icmp: [1, 4], reason: 'refused' },
  { name: 'v6-ttl-exceeded', address: `[${lab6.ttlExceeded}]:11000`, icmp: [3, 0], reason: 'unreachable' },
  { name: 'v6-unreachable-route', address: `[${lab6.unreachableRoute}]:11000`, icmp: [1, 0], reason: 'unreachable' },
  { name: 'v6-blackhole', address: `[${lab6.blackhole}]:11000`, icmp: undefined, reason: 'timeout' },
];

/** A service config in a directory anyone can read (the unprivileged run needs it too). */
export function writeConfig(
  capture: string,
  webPort: number,
  targets: readonly { name: string; address: string; mode?: string; timeoutMs?: number }[],
  defaults: Record<string, number> = {},
  /** More top-level YAML lines, e.g. `scheduler: { workers: 2 }`. */
  more: readonly string[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-icmp-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'config.yaml');
  const lines = [
    'log: { level: info }',
    'responder: { enabled: false }',
    `web: { listenAddress: "127.0.0.1:${webPort}" }`,
    `icmp: { capture: ${capture} }`,
    ...more,
    `defaults: ${JSON.stringify({ mode: 'connect', count: 3, intervalMs: 2000, pingIntervalMs: 100, timeoutMs: 1000, ...defaults })}`,
    'targets:',
    ...targets.map(({ name, address, mode, timeoutMs }) => `  - ${JSON.stringify({ name, address, mode, timeoutMs })}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Sample = ExpositionSample;

/** Prometheus text format → samples (the strict reader every test uses). */
export function parseMetrics(text: string): Sample[] {
  return [...parseExposition(text).samples];
}

export function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value ?? 0;
}

/** Scrapes /metrics once from inside the namespace (throws when it does not answer). */
export function scrape(lab: Lab, ns: string, port: number): Sample[] {
  return parseMetrics(lab.exec(ns, ['curl', '-sf', '--max-time', '2', `http://127.0.0.1:${port}/metrics`]));
}

/** Scrapes /metrics from inside the namespace until `done` holds (bounded: 40 tries, ~20 s). */
export async function scrapeUntil(lab: Lab, ns: string, port: number, done: (s: Sample[]) => boolean): Promise<Sample[]> {
  let samples: Sample[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      samples = scrape(lab, ns, port);
      if (done(samples)) return samples;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return samples;
}

/** Every ICMP series of one target that explains its losses, as "version/type/code". */
export function icmpSeries(samples: Sample[], target: string): string[] {
  return samples
    .filter((s) => s.name === 'tcpping_icmp_errors_total' && s.labels.target === target && s.value > 0)
    .map((s) => `${s.labels.icmp_version}/${s.labels.icmp_type}/${s.labels.icmp_code}`);
}

/** Every series of ICMP errors counted apart (they changed no verdict), as "version/type/code reason". */
export function unverifiedSeries(samples: Sample[], target: string): string[] {
  return samples
    .filter((s) => s.name === 'tcpping_icmp_errors_unverified_total' && s.labels.target === target && s.value > 0)
    .map((s) => `${s.labels.icmp_version}/${s.labels.icmp_type}/${s.labels.icmp_code} ${s.labels.reason}`);
}

/**
 * `later`: a scrape taken after `samples`, for the pings sent. /metrics is written family by family
 * with turns of the loop between its chunks, so within one body a ping can start and draw its error
 * between the sent count and the error count; a later body's sent count bounds every error counted
 * in the earlier one.
 */
export function assertCase(samples: Sample[], c: Case, later: Sample[] = samples): void {
  const sent = value(later, 'tcpping_pings_sent_total', { target: c.name });
  const lostForReason = value(samples, 'tcpping_pings_lost_total', { target: c.name, reason: c.reason });
  assert.ok(lostForReason >= 1, `${c.name}: no loss with reason ${c.reason} (sent ${sent})`);
  if (!c.icmp) {
    assert.deepEqual(icmpSeries(samples, c.name), [], `${c.name}: no ICMP error expected`);
    return;
  }
  // Linux rate-limits ICMP errors: at least one arrives and is attributed, never more than one per ping.
  const version = c.name.startsWith('v6-') ? 6 : 4;
  assert.deepEqual(icmpSeries(samples, c.name), [[version, ...c.icmp].join('/')], `${c.name}: ICMP series`);
  const errors = value(samples, 'tcpping_icmp_errors_total', { target: c.name });
  assert.ok(errors >= 1 && errors <= sent, `${c.name}: ${errors} ICMP errors for ${sent} pings`);
}
