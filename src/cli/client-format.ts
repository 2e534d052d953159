import type { LossReason, PingResult } from '../domain/ping.js';
import { describeIcmp, icmpInWords } from '../icmp/descriptions.js';
import type { RoundSummary } from '../stats/round-summary.js';

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

export function pingLine(target: string, result: PingResult): string {
  if (result.ok) {
    const { seq, rttSeconds, connectSeconds, reply } = result.value;
    const connect = connectSeconds === undefined ? '' : ` connect=${ms(connectSeconds)} ms`;
    const text = reply === undefined ? '' : ` reply="${reply}"`;
    return `reply from ${target}: seq=${seq} time=${ms(rttSeconds)} ms${connect}${text}`;
  }
  const { seq, reason, detail } = result.error;
  return `no reply from ${target}: seq=${seq} ${lossWords[reason]}: ${detail}`;
}

/** Under each lost ping, as the seed's client does: the ICMP error in words, or that none came. */
export function icmpLine(result: PingResult, capturing: boolean): string | undefined {
  if (result.ok) return undefined;
  const { icmp, seq } = result.error;
  if (icmp) return `  ${icmpInWords(icmp)}`;
  if (!capturing) return `  ICMP capture unavailable: cannot tell whether an ICMP error came for seq=${seq}`;
  return `  No ICMP error message for seq=${seq}`;
}

export function header(target: string, mode: string, count: number, timeoutMs: number): string {
  return `TCPPING ${target} (${mode} mode): ${count} pings, timeout ${timeoutMs} ms`;
}

export function summaryLines(target: string, summary: RoundSummary, elapsedMs: number): string[] {
  const loss = Math.round(summary.lossRatio * 1000) / 10;
  const lines = [
    `--- ${target} tcpping statistics ---`,
    `${summary.sent} pings transmitted, ${summary.received} received, ${loss}% loss, time ${Math.round(elapsedMs)}ms`,
  ];
  const { min, avg, max, mdev } = summary.rtt;
  if (min !== null && avg !== null && max !== null && mdev !== null) {
    lines.push(`rtt min/avg/max/mdev = ${ms(min)}/${ms(avg)}/${ms(max)}/${ms(mdev)} ms`);
  }
  return lines;
}

export function jsonReport(target: string, mode: string, summary: RoundSummary, results: readonly PingResult[], icmpCapture = false) {
  return {
    target,
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
