import { describeIcmp, icmpInWords } from '../icmp/words.js';
import type { LossReason, PingResult } from '../probe/types.js';
import type { RoundSummary } from '../stats/round.js';

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
    const connect = result.connectSeconds === undefined ? '' : ` connect=${ms(result.connectSeconds)} ms`;
    const reply = result.reply === undefined ? '' : ` reply="${result.reply}"`;
    return `reply from ${target}: seq=${result.seq} time=${ms(result.rttSeconds)} ms${connect}${reply}`;
  }
  return `no reply from ${target}: seq=${result.seq} ${lossWords[result.reason]}: ${result.detail}`;
}

/** Under each lost ping, as the seed's client does: the ICMP error in words, or that none came. */
export function icmpLine(result: PingResult, capturing: boolean): string | undefined {
  if (result.ok) return undefined;
  if (result.icmp) return `  ${icmpInWords(result.icmp)}`;
  if (!capturing) return `  ICMP capture unavailable: cannot tell whether an ICMP error came for seq=${result.seq}`;
  return `  No ICMP error message for seq=${result.seq}`;
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
        ? { seq: r.seq, ok: true, rttSeconds: r.rttSeconds, connectSeconds: r.connectSeconds ?? null }
        : {
            seq: r.seq,
            ok: false,
            reason: r.reason,
            detail: r.detail,
            errno: r.errno ?? null,
            icmp: r.icmp ? { ...r.icmp, description: describeIcmp(r.icmp) } : null,
          },
    ),
  };
}
