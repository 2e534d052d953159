import { connect } from 'node:net';
import { builtInDefaults } from '../src/config/load.js';
import { closeKept } from '../src/probe/echo.js';
import { defaultProbeContext, probers } from '../src/probe/index.js';
import type { KeptConnection, ProbeContext } from '../src/probe/types.js';
import { Responder } from '../src/responder/responder.js';
import { systemClock } from '../src/util/clock.js';
import { bareConnect, bareNewPing, barePersistent, closeServer, HOST, listenBareEcho } from './bare.js';
import type { Row } from './report.js';
import { median, nsToUs, pairedRatio, rotated, type Spread, spread } from './stats.js';

/**
 * (a) Latency on loopback, everything in this process, one ping at a time. Each repetition runs
 * every variant in a rotated order, `pings` pings each; figures are medians over repetitions.
 */
export interface RttOptions {
  readonly reps: number;
  readonly pings: number;
}

type Sample = { rttUs: number; totalUs: number };
type Variant = (port: { bare: number; ours: number }) => Promise<Sample[]>;

const ctx = defaultProbeContext;
/** The same probes without the kernel's record: what koffi and TCP_INFO cost per ping is the difference. */
const userlandCtx: ProbeContext = { clock: systemClock, connect };

async function ourEcho(port: number, pings: number, kept?: KeptConnection): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let seq = 1; seq <= pings; seq++) {
    const t0 = process.hrtime.bigint();
    const result = await probers.echo({ host: HOST, port, seq, timeoutMs: 1000, ...(kept ? { kept } : {}) }, ctx);
    const totalUs = nsToUs(process.hrtime.bigint() - t0);
    if (!result.ok) throw new Error(`echo probe failed: ${result.error.reason} ${result.error.detail}`);
    out.push({ rttUs: result.value.rttSeconds * 1e6, totalUs });
  }
  return out;
}

async function bareEcho(port: number, pings: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let seq = 1; seq <= pings; seq++) {
    const t0 = process.hrtime.bigint();
    const timing = await bareNewPing(port, seq);
    out.push({ rttUs: nsToUs(timing.rttNs), totalUs: nsToUs(process.hrtime.bigint() - t0) });
  }
  return out;
}

async function ourConnect(port: number, pings: number, context = ctx): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let seq = 1; seq <= pings; seq++) {
    const t0 = process.hrtime.bigint();
    const result = await probers.connect({ host: HOST, port, seq, timeoutMs: 1000 }, context);
    const totalUs = nsToUs(process.hrtime.bigint() - t0);
    if (!result.ok) throw new Error(`connect probe failed: ${result.error.reason}`);
    out.push({ rttUs: result.value.rttSeconds * 1e6, totalUs });
  }
  return out;
}

async function bareConnects(port: number, pings: number): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < pings; i++) {
    const t0 = process.hrtime.bigint();
    const ns = await bareConnect(port);
    out.push({ rttUs: nsToUs(ns), totalUs: nsToUs(process.hrtime.bigint() - t0) });
  }
  return out;
}

export async function runRtt(options: RttOptions): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const { pings } = options;
  const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
  const ours = (await responder.listen(HOST, 0)).port;
  const bare = await listenBareEcho();
  const variants: Record<string, Variant> = {
    'echo probe -> responder': (p) => ourEcho(p.ours, pings),
    'bare client -> bare server': (p) => bareEcho(p.bare, pings),
    'echo probe -> bare server': (p) => ourEcho(p.bare, pings),
    'bare client -> responder': (p) => bareEcho(p.ours, pings),
    'echo probe kept -> responder': async (p) => {
      const kept: KeptConnection = {};
      try {
        return await ourEcho(p.ours, pings, kept);
      } finally {
        closeKept(kept);
      }
    },
    'bare persistent -> bare server': async (p) =>
      (await barePersistent(p.bare, pings)).map((ns) => ({ rttUs: nsToUs(ns), totalUs: Number.NaN })),
    'connect probe': (p) => ourConnect(p.bare, pings),
    'connect probe, userland timing': (p) => ourConnect(p.bare, pings, userlandCtx),
    'bare net.connect': (p) => bareConnects(p.bare, pings),
  };
  const perRep: Record<string, { rtt: Spread; total: Spread }[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  try {
    for (const name of Object.keys(variants)) await variants[name]?.({ bare: bare.port, ours }); // warm-up
    for (let rep = 0; rep < options.reps; rep++) {
      for (const name of rotated(Object.keys(variants), rep)) {
        const samples = await (variants[name] as Variant)({ bare: bare.port, ours });
        perRep[name]?.push({ rtt: spread(samples.map((s) => s.rttUs)), total: spread(samples.map((s) => s.totalUs)) });
      }
    }
  } finally {
    await responder.stop();
    await closeServer(bare.server);
  }
  const get = (name: string) => perRep[name] ?? [];
  const row = (name: string, ours: string, floor: string, key: 'rtt' | 'total', p: 'p50' | 'p99', note?: string): Row => {
    const o = get(ours).map((r) => r[key][p]);
    const f = get(floor).map((r) => r[key][p]);
    return {
      section: 'a latency',
      name,
      unit: 'µs',
      ours: median(o),
      floor: median(f),
      ratio: pairedRatio(o, f),
      ...(note ? { note } : {}),
    };
  };
  const newConn = 'bare client -> bare server';
  const rows: Row[] = [
    row('echo RTT write->reply p50', 'echo probe -> responder', newConn, 'rtt', 'p50', 'new conn per ping; floor: bare new-conn ping-pong'),
    row('echo RTT write->reply p99', 'echo probe -> responder', newConn, 'rtt', 'p99'),
    row('echo whole ping p50', 'echo probe -> responder', newConn, 'total', 'p50', 'connect()+write+reply+close, call->resolved'),
    row('echo whole ping p99', 'echo probe -> responder', newConn, 'total', 'p99'),
    row('  probe only: RTT p50', 'echo probe -> bare server', newConn, 'rtt', 'p50', 'our probe vs bare server'),
    row('  probe only: whole p50', 'echo probe -> bare server', newConn, 'total', 'p50'),
    row('  responder only: RTT p50', 'bare client -> responder', newConn, 'rtt', 'p50', 'bare client vs our responder'),
    row('echo kept-conn RTT p50', 'echo probe kept -> responder', 'bare persistent -> bare server', 'rtt', 'p50', 'persistent floor'),
    row('echo kept-conn RTT p99', 'echo probe kept -> responder', 'bare persistent -> bare server', 'rtt', 'p99'),
    row('connect RTT p50', 'connect probe', 'bare net.connect', 'rtt', 'p50', 'connect()->connect event'),
    row('connect RTT p99', 'connect probe', 'bare net.connect', 'rtt', 'p99'),
    row('connect whole p50', 'connect probe', 'bare net.connect', 'total', 'p50', 'call->resolved, incl. RST'),
    row(
      '  kernel timing cost: whole p50',
      'connect probe',
      'connect probe, userland timing',
      'total',
      'p50',
      'TCP_INFO (and an own fd for IPv6) vs node:net alone',
    ),
  ];
  return { rows, raw: { options, perRep } };
}
