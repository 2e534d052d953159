import { builtInDefaults } from '../config/load.js';
import { reached } from '../domain/path.js';
import { type Resolver, resolveHost, systemResolver } from '../scheduler/resolve.js';
import { chooseSourcePort } from '../trace/port.js';
import { kernelTraces, type TraceKernel, traceKernel } from '../trace/sockets.js';
import { traceBoundMs } from '../trace/trace.js';
import { type Clock, systemClock } from '../util/clock.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, type HostPort, parseHostPort } from '../util/hostport.js';
import { resolveFailure } from './client-format.js';
import { type CommandSpec, type Flags, type FlagValues, numberFlag, parseFlags } from './flags.js';
import type { Io } from './io.js';
import { endLine, hopLines, tableHeader, traceHeader, traceJson } from './trace-format.js';

const defaults = builtInDefaults.trace;
const defaultPort = builtInDefaults.responder.listen.port;
const RESOLVE_LIMIT_MS = 30_000;

export const traceSpec: CommandSpec = {
  name: 'trace',
  operands: 'HOST[:PORT]',
  operandCount: [1, 1],
  summary: `Trace the TCP path to HOST:PORT, as mtr --report --tcp does: SYNs with TTL (hop limit) 1, 2, 3, ...;
each hop's router, loss and RTT, and at the end the destination's answer (SYN-ACK: open, RST: closed).
PORT defaults to ${defaultPort}. Every probe leaves from one source port, so equal-cost multipath
sends them all down the path that flow takes.`,
  notes: [
    "No privilege needed: no raw socket; each probe is an ordinary TCP connect, the routers' ICMP answers read from its socket's error queue (Linux).",
    'A hop shown as * answered nothing: many routers never send time exceeded, which is not loss. Where answers stop for good is named at the end.',
    'Exit status: 0 if the destination answered (SYN-ACK or RST), 1 if not, 2 on errors (usage, unknown host, no kernel support).',
  ],
};

export const traceFlags = {
  queries: {
    long: 'queries',
    short: 'q',
    value: 'COUNT',
    doc: 'probes per hop',
    default: defaults.probesPerHop,
    parse: numberFlag(1, 10, { integer: true }),
  },
  maxHops: {
    long: 'max-hops',
    short: 'm',
    value: 'HOPS',
    doc: 'hops to go at most',
    default: defaults.maxHops,
    parse: numberFlag(1, 255, { integer: true }),
  },
  timeout: {
    long: 'timeout',
    short: 'W',
    value: 'SECONDS',
    doc: 'time each probe waits for an answer',
    default: defaults.probeTimeoutMs / 1000,
    parse: numberFlag(0.01, 1, { hint: "at most 1, the kernel's first SYN retransmission" }),
  },
  maxSilent: {
    long: 'max-silent-hops',
    value: 'HOPS',
    doc: 'stop after this many hops in a row that answered nothing',
    default: defaults.maxSilentHops,
    parse: numberFlag(1, 255, { integer: true }),
  },
  sourcePort: {
    long: 'source-port',
    value: 'PORT',
    doc: "the flow's source port (default: one outside the ephemeral range, at random)",
    parse: numberFlag(1024, 65535, { integer: true }),
  },
  ipv4: { long: 'ipv4', short: '4', doc: "use HOST's IPv4 address" },
  ipv6: { long: 'ipv6', short: '6', doc: "use HOST's IPv6 address" },
  json: { long: 'json', doc: 'print one JSON document at the end instead of the table' },
} satisfies Flags;

/** `tcpping trace HOST[:PORT]`: one TCP SYN traceroute of one flow, printed hop by hop. */
export async function runTraceCommand(
  args: string[],
  io: Io,
  kernel: TraceKernel | { readonly unavailable: string } = traceKernel(),
  clock: Clock = systemClock,
  resolver: Resolver = systemResolver,
): Promise<number> {
  const { values: v, operands } = parseFlags(traceSpec, traceFlags, args);
  if (v.ipv4 && v.ipv6) throw new UsageError('tcpping trace: -4 and -6 exclude each other: give one of them');
  const parsed = parseHostPort(operands[0] as string, defaultPort);
  if (!parsed.ok) throw new UsageError(`tcpping trace: ${operands[0]}: ${parsed.error} (expected HOST[:PORT])`);
  if ('unavailable' in kernel) {
    io.err(`tcpping trace: needs the socket error queue (Linux, through koffi): ${kernel.unavailable}`);
    return 2;
  }
  // On from now, so that it has taken effect by the first probe (see holdReceiveTimestamps).
  const release = kernel.holdTimestamps();
  try {
    return await traceCommand(v, parsed.value, kernel, clock, resolver, io);
  } finally {
    release();
  }
}

async function traceCommand(
  v: FlagValues<typeof traceFlags>,
  operand: HostPort,
  kernel: TraceKernel,
  clock: Clock,
  resolver: Resolver,
  io: Io,
): Promise<number> {
  const { host, port } = operand;
  const resolved = await resolveHost(host, v.ipv4 ? 'ipv4' : v.ipv6 ? 'ipv6' : 'auto', resolver, clock, RESOLVE_LIMIT_MS);
  if (!resolved.ok) {
    io.err(`tcpping: ${resolveFailure(host, resolved.error)}`);
    return 2;
  }
  const address = resolved.value;
  const target = formatHostPort({ host: address, port });
  const family = address.includes(':') ? 6 : 4;
  const settings = {
    probesPerHop: v.queries,
    maxHops: v.maxHops,
    probeTimeoutMs: Math.round(v.timeout * 1000),
    maxSilentHops: v.maxSilent,
  };

  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  io.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const ephemeral = kernel.ephemeralPorts();
  const sourcePort = v.sourcePort ?? chooseSourcePort(Math.random, ephemeral);
  if (!v.json) {
    io.out(traceHeader(operand, address, sourcePort, settings));
    io.out(tableHeader(family));
  }
  const trace = await kernelTraces(
    kernel,
    clock,
    Math.random,
  )(
    {
      address,
      port,
      family,
      ...settings,
      sourcePort,
      fixedSourcePort: v.sourcePort !== undefined,
      signal: stop.signal,
    },
    (hop) => {
      if (!v.json) for (const line of hopLines(hop, family)) io.out(line);
    },
  ).finally(() => io.interrupt?.removeEventListener('abort', onInterrupt));
  if (v.json) io.out(JSON.stringify(traceJson(target, trace, settings), null, 2));
  else {
    io.out(
      `--- ${endLine(target, trace)}; from port ${trace.sourcePort}, ${trace.durationSeconds.toFixed(2)} s (at most ${traceBoundMs(settings) / 1000} s) ---`,
    );
  }
  if (trace.end === 'error') return 2;
  return reached(trace) ? 0 : 1;
}
