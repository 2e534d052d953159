import { builtInDefaults } from '../config/load.js';
import type { PingResult } from '../domain/ping.js';
import { type ProbeMode, probeModes } from '../domain/target.js';
import type { OpenRawSocket } from '../icmp/capture.js';
import { openIcmpSocket } from '../icmp/raw.js';
import { setUpCapture } from '../icmp/setup.js';
import { defaultProbeContext, probers } from '../probe/index.js';
import type { ProbeContext } from '../probe/types.js';
import { runRound } from '../scheduler/round.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { header, icmpLine, jsonReport, pingLine, summaryLines } from './client-format.js';
import { type Io, numberArg, parse } from './io.js';

/** Like ping, one second between ping starts (the service's rounds default to back to back). */
const CLIENT_INTERVAL_SECONDS = 1;

/**
 * `tcpping client HOST[:PORT]`: the seed's client with ping's layout and exit codes
 * (0 if any reply, 1 if none, 2 on usage or other errors). Count, timeout, mode and port default
 * to the service's.
 */
export async function runClient(
  args: string[],
  io: Io,
  probeContext: ProbeContext = defaultProbeContext,
  openRawSocket: OpenRawSocket = openIcmpSocket,
): Promise<number> {
  const defaults = builtInDefaults.defaults;
  const { values, positionals } = parse(
    'client',
    args,
    {
      count: { type: 'string', short: 'c', default: String(defaults.count) },
      interval: { type: 'string', short: 'i', default: String(CLIENT_INTERVAL_SECONDS) },
      timeout: { type: 'string', short: 'W', default: String(defaults.timeoutMs / 1000) },
      mode: { type: 'string', default: defaults.mode },
      reuse: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('tcpping client: expected one target HOST[:PORT]');
  const address = parseHostPort(positionals[0] as string, builtInDefaults.responder.listen.port);
  if (!address.ok) throw new UsageError(`tcpping client: target: ${address.error}`);
  const parsed = address.value;
  const mode = values.mode as ProbeMode;
  if (!probeModes.includes(mode)) throw new UsageError(`tcpping client: --mode must be echo or connect, not "${values.mode}"`);
  const count = numberArg('client', '-c', values.count, 1, 1_000_000) as number;
  if (!Number.isInteger(count)) throw new UsageError(`tcpping client: -c must be a whole number, not "${values.count}"`);
  const intervalSeconds = numberArg('client', '-i', values.interval, 0, 3600) as number;
  const timeoutSeconds = numberArg('client', '-W', values.timeout, 0.001, 600) as number;

  const target = formatHostPort(parsed);
  const timeoutMs = Math.round(timeoutSeconds * 1000);
  const clock = probeContext.clock;
  // Like the seed's client: capture ICMP errors when permitted, say so and go on when not.
  const socketErrors = probeContext.kernel !== undefined;
  const { capture, warnings } = setUpCapture('auto', openRawSocket, clock, 'tcpping client', socketErrors);
  for (const warning of warnings) io.err(`tcpping client: ${warning}`);
  const context = capture ? { ...probeContext, icmp: capture } : probeContext;
  const onPing = (result: PingResult) => {
    if (values.json) return;
    io.out(pingLine(target, result));
    // The socket's error queue tells, without capture, whether the kernel took an ICMP error for the ping.
    const icmp = icmpLine(result, capture !== undefined || socketErrors);
    if (icmp) io.out(icmp);
  };
  if (!values.json) io.out(header(target, mode, count, timeoutMs));
  const startedMs = clock.nowMs();
  const outcome = await runRound(
    { ...parsed, mode, count, pingIntervalMs: Math.round(intervalSeconds * 1000), timeoutMs, reuseConnection: values.reuse },
    { clock, probers, probeContext: context },
    { pingFinished: onPing },
    { plannedStartMs: startedMs, ...(io.interrupt ? { stopping: io.interrupt } : {}) },
  ).finally(() => capture?.stop());
  if (values.json) io.out(JSON.stringify(jsonReport(target, mode, outcome.summary, outcome.results, capture !== undefined), null, 2));
  else {
    io.out('');
    for (const line of summaryLines(target, outcome.summary, clock.nowMs() - startedMs)) io.out(line);
  }
  if (outcome.summary.received > 0) return 0;
  // As ping says "unknown host" with exit 2: a name that never resolved is not a lost reply.
  const unresolved = outcome.results.length > 0 && outcome.results.every((r) => !r.ok && r.error.reason === 'dns');
  if (unresolved && !values.json) io.err(`tcpping client: cannot resolve ${parsed.host}`);
  return unresolved ? 2 : 1;
}
