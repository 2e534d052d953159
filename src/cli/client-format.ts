import type { LossReason, PingResult } from '../domain/ping.js';
import { describeIcmp, icmpInWords } from '../icmp/descriptions.js';
import type { RoundSummary } from '../stats/round-summary.js';
import { formatHostPort } from '../util/hostport.js';

/** Ping-style text for the client. Pure; the JSON form is in jsonReport. */
const lossWords: Record<LossReason, string> = {
  timeout: 'request timed out',
  refused: 'connection refused',
  reset: 'connection reset',
  closed: 'connection closed without a reply',
  unreachable: 'destination unreachable',
  mismatch: 'wrong reply',
  dns: 'name not resolved',
  error: 'error',
};

export function ms(seconds: number): string {
  return (seconds * 1000).toFixed(3);
}

/** "1 ping", "2 pings". */
export function pings(count: number): string {
  return `${count} ping${count === 1 ? '' : 's'}`;
}

/** "connection refused (ECONNREFUSED, errno 111)" rather than "connection refused: ECONNREFUSED (errno 111): connection refused". */
function lossText(reason: LossReason, detail: string): string {
  const words = lossWords[reason];
  const errno = /^([A-Z][A-Z0-9_]+) \(errno (\d+)\): (.*)$/.exec(detail);
  if (errno && errno[3]?.toLowerCase() === words) return `${words} (${errno[1]}, errno ${errno[2]})`;
  return `${words}: ${detail}`;
}

export function pingLine(target: string, result: PingResult): string {
  if (result.ok) {
    const { seq, rttSeconds, connectSeconds, reply } = result.value;
    const connect = connectSeconds === undefined ? '' : ` connect=${ms(connectSeconds)} ms`;
    const text = reply === undefined ? '' : ` reply="${reply}"`;
    return `reply from ${target}: seq=${seq} time=${ms(rttSeconds)} ms${connect}${text}`;
  }
  const { seq, reason, detail } = result.error;
  return `no reply from ${target}: seq=${seq} ${lossText(reason, detail)}`;
}

/**
 * Losses an ICMP error could explain: a SYN or segment that got no answer, or an unreachable the
 * kernel reported. A refusal by RST, a closed connection or a wrong reply came from the target
 * itself, and a name that did not resolve sent nothing: no ICMP line for those.
 */
const icmpPossible: ReadonlySet<LossReason> = new Set(['timeout', 'unreachable']);

/** Under a lost ping, as the seed's client does: the ICMP error in words, or that none came where one could have. */
export function icmpLine(result: PingResult, capturing: boolean): string | undefined {
  if (result.ok) return undefined;
  const { icmp, seq, reason } = result.error;
  if (icmp) return `  ${icmpInWords(icmp)}`;
  if (!icmpPossible.has(reason)) return undefined;
  if (!capturing) return undefined; // said once at the start, not under every ping
  return `  No ICMP error message for seq=${seq}`;
}

/** "TCPPING host:port → address (echo mode): 5 pings, timeout 1000 ms"; count 0 runs until stopped. */
export function header(target: { host: string; port: number }, address: string, mode: string, count: number, timeoutMs: number): string {
  const via = target.host === address ? '' : ` → ${address}`;
  const what = count === 0 ? 'pings until stopped' : pings(count);
  return `TCPPING ${formatHostPort(target)}${via} (${mode} mode): ${what}, timeout ${timeoutMs} ms`;
}

/** ping -D's stamp: "[1700000000.123456]". */
export function stamp(wallSeconds: number): string {
  return `[${wallSeconds.toFixed(6)}]`;
}

/** getaddrinfo's words, as ping prints them for a name it cannot use. */
const resolverWords: Record<string, string> = {
  ENOTFOUND: 'Name or service not known',
  EAI_NONAME: 'Name or service not known',
  ENODATA: 'No address associated with hostname',
  EAI_NODATA: 'No address associated with hostname',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
};

/** "HOST: Name or service not known". */
export function resolveFailure(host: string, failure: { detail: string; errno?: string }): string {
  const words = failure.errno ? resolverWords[failure.errno] : undefined;
  if (words) return `${host}: ${words}`;
  if (/is not an IPv[46] address/.test(failure.detail)) return `${host}: Address family for hostname not supported`;
  return `${host}: ${failure.detail.replace(`cannot resolve ${host}: `, '')}`;
}

export function summaryLines(target: string, summary: RoundSummary, elapsedMs: number): string[] {
  const loss = Math.round(summary.lossRatio * 1000) / 10;
  const lines = [
    `--- ${target} tcpping statistics ---`,
    `${pings(summary.sent)} transmitted, ${summary.received} received, ${loss}% loss, time ${Math.round(elapsedMs)}ms`,
  ];
  const { min, avg, max, mdev } = summary.rtt;
  if (min !== null && avg !== null && max !== null && mdev !== null) {
    lines.push(`rtt min/avg/max/mdev = ${ms(min)}/${ms(avg)}/${ms(max)}/${ms(mdev)} ms`);
  }
  return lines;
}

export function jsonReport(
  target: string,
  address: string,
  mode: string,
  summary: RoundSummary,
  results: readonly PingResult[],
  icmpCapture = false,
) {
  return {
    target,
    address,
    mode,
    icmpCapture,
    sent: summary.sent,
    received: summary.received,
    lossRatio: summary.lossRatio,
    rtt: summary.rtt,
    pings: results.map((r) =>
      r.ok
        ? { seq: r.value.seq, ok: true, rttSeconds: r.value.rttSeconds, connectSeconds: r.value.connectSeconds ?? null }
        : {
            seq: r.error.seq,
            ok: false,
            reason: r.error.reason,
            detail: r.error.detail,
            errno: r.error.errno ?? null,
            icmp: r.error.icmp ? { ...r.error.icmp, description: describeIcmp(r.error.icmp) } : null,
          },
    ),
  };
}
