import { builtInDefaults } from '../config/load.js';
import type { PingResult } from '../domain/ping.js';
import { probeModes } from '../domain/target.js';
import type { OpenRawSocket } from '../icmp/capture.js';
import { openIcmpSocket } from '../icmp/raw.js';
import { setUpCapture } from '../icmp/setup.js';
import { defaultProbeContext, probers } from '../probe/index.js';
import type { ProbeContext } from '../probe/types.js';
import { type Resolver, resolveHost, systemResolver } from '../scheduler/resolve.js';
import { runRound } from '../scheduler/round.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { header, icmpLine, jsonReport, pingLine, resolveFailure, stamp, summaryLines } from './client-format.js';
import { type CommandSpec, type Flags, numberFlag, parseFlags, wordFlag } from './flags.js';
import type { Io } from './io.js';

const defaults = builtInDefaults.defaults;
const defaultPort = builtInDefaults.responder.listen.port;
/** Like ping, one second between ping starts (the service's rounds default to back to back). */
const CLIENT_INTERVAL_SECONDS = 1;
/** getaddrinfo retries on its own; this only bounds a resolver that hangs. */
const RESOLVE_LIMIT_MS = 30_000;

export const clientSpec: CommandSpec = {
  name: 'client',
  operands: 'HOST[:PORT]',
  operandCount: [1, 1],
  summary: `Ping HOST over TCP as ping(8) does over ICMP: one ping per line, statistics at the end (Ctrl-C prints them too).
PORT defaults to ${defaultPort}, the ping server's. IPv6: [::1]:${defaultPort}.`,
  notes: [
    'Lost pings say why (timeout, refused, ...) and, with ICMP capture (CAP_NET_RAW or root), the ICMP error a router sent.',
    'Exit status: 0 if a reply came (with -w and -c: if all -c replies came), 1 if not, 2 on errors (usage, unknown host).',
  ],
};

export const clientFlags = {
  count: {
    long: 'count',
    short: 'c',
    value: 'COUNT',
    doc: `pings to send; 0: until Ctrl-C (default ${defaults.count}; with -w and no -c: until the deadline)`,
    parse: numberFlag(0, 1_000_000_000, { integer: true, hint: '0: until Ctrl-C' }),
  },
  interval: {
    long: 'interval',
    short: 'i',
    value: 'SECONDS',
    doc: 'time between ping starts; 0: each as soon as the last ended',
    default: CLIENT_INTERVAL_SECONDS,
    parse: numberFlag(0, 3600),
  },
  timeout: {
    long: 'timeout',
    short: 'W',
    value: 'SECONDS',
    doc: 'time to wait for each reply',
    default: defaults.timeoutMs / 1000,
    parse: numberFlag(0.001, 600),
  },
  deadline: {
    long: 'deadline',
    short: 'w',
    value: 'SECONDS',
    doc: 'stop after SECONDS, however many pings were sent',
    parse: numberFlag(0.001, 31_536_000),
  },
  mode: {
    long: 'mode',
    short: 'm',
    value: 'MODE',
    doc: 'echo (send a line, wait for it upper-cased) or connect (TCP handshake only, any TCP service)',
    default: defaults.mode,
    parse: wordFlag(probeModes),
  },
  reuse: { long: 'reuse', doc: 'echo mode: one connection for every ping (default: a new one per ping)' },
  ipv4: { long: 'ipv4', short: '4', doc: "use HOST's IPv4 address" },
  ipv6: { long: 'ipv6', short: '6', doc: "use HOST's IPv6 address" },
  quiet: { long: 'quiet', short: 'q', doc: 'print only the first line and the statistics' },
  timestamps: { long: 'timestamps', short: 'D', doc: 'print the Unix time before each ping line, as ping -D' },
  noIcmp: { long: 'no-icmp', doc: 'do not capture ICMP errors (no CAP_NET_RAW needed, no notice about it)' },
  json: { long: 'json', doc: 'print one JSON document at the end instead of lines' },
} satisfies Flags;

/**
 * `tcpping client HOST[:PORT]`: the seed's client with ping's habits, layout and exit codes. The
 * name is resolved once, before the first ping; an unknown host fails at once, as in ping.
 */
export async function runClient(
  args: string[],
  io: Io,
  probeContext: ProbeContext = defaultProbeContext,
  openRawSocket: OpenRawSocket = openIcmpSocket,
  resolver: Resolver = systemResolver,
): Promise<number> {
  const { values: v, operands } = parseFlags(clientSpec, clientFlags, args);
  if (v.ipv4 && v.ipv6) throw new UsageError('tcpping client: -4 and -6 exclude each other: give one of them');
  if (v.reuse && v.mode === 'connect') throw new UsageError('tcpping client: --reuse is for echo mode: drop it or use --mode echo');
  const parsed = parseHostPort(operands[0] as string, defaultPort);
  if (!parsed.ok) throw new UsageError(`tcpping client: ${operands[0]}: ${parsed.error} (expected HOST[:PORT])`);
  const { host, port } = parsed.value;
  const clock = probeContext.clock;

  const family = v.ipv4 ? 'ipv4' : v.ipv6 ? 'ipv6' : 'auto';
  const resolved = await resolveHost(host, family, resolver, clock, RESOLVE_LIMIT_MS);
  if (!resolved.ok) {
    io.err(`tcpping: ${resolveFailure(host, resolved.error)}`);
    return 2;
  }
  const target = formatHostPort({ host, port });
  const address = resolved.value;
  const count = v.count ?? (v.deadline === undefined ? defaults.count : 0);
  const timeoutMs = Math.round(v.timeout * 1000);

  // Like the seed's client: capture ICMP errors when permitted; say so in one line and go on when not.
  const setup = v.noIcmp ? { capture: undefined } : setUpCapture('auto', openRawSocket, clock, 'tcpping client');
  const capture = setup.capture;
  if ('off' in setup && setup.off) io.err(`tcpping client: ICMP capture off: ${setup.off}; pinging without it (--no-icmp: no notice)`);
  const context = capture ? { ...probeContext, icmp: capture } : probeContext;
  const line = (text: string) => io.out(v.timestamps ? `${stamp(clock.wallSeconds())} ${text}` : text);
  const onPing = (result: PingResult) => {
    if (v.json || v.quiet) return;
    line(pingLine(target, result));
    const icmp = icmpLine(result, capture !== undefined);
    if (icmp) io.out(icmp);
  };

  // Ctrl-C and the deadline both end the run after the ping in flight; the statistics follow.
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  io.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  if (io.interrupt?.aborted) stop.abort();
  const deadline = v.deadline === undefined ? undefined : clock.setTimeout(() => stop.abort(), v.deadline * 1000);

  if (!v.json) io.out(header(parsed.value, address, v.mode, count, timeoutMs));
  const startedMs = clock.nowMs();
  const outcome = await runRound(
    {
      host: address,
      port,
      mode: v.mode,
      count: count === 0 ? Number.POSITIVE_INFINITY : count,
      pingIntervalMs: Math.round(v.interval * 1000),
      timeoutMs,
      reuseConnection: v.reuse,
    },
    { clock, probers, probeContext: context },
    { pingFinished: onPing },
    { plannedStartMs: startedMs, stopping: stop.signal },
  ).finally(() => {
    capture?.stop();
    clock.clearTimeout(deadline);
    io.interrupt?.removeEventListener('abort', onInterrupt);
  });
  if (v.json) io.out(JSON.stringify(jsonReport(target, address, v.mode, outcome.summary, outcome.results, capture !== undefined), null, 2));
  else {
    io.out('');
    for (const text of summaryLines(target, outcome.summary, clock.nowMs() - startedMs)) io.out(text);
  }
  // As ping: with both -w and -c, fewer than -c replies by the deadline is a failure too.
  const wanted = v.deadline !== undefined && v.count ? v.count : 1;
  return outcome.summary.received >= wanted ? 0 : 1;
}
