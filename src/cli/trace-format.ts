import { answersStopAt, type PathHop, type PathTrace, reached } from '../domain/path.js';
import { describeIcmp } from '../icmp/descriptions.js';
import { formatHostPort } from '../util/hostport.js';

/** mtr --report's layout for `tcpping trace`. Pure; the JSON form is in traceJson. */
const ms = (seconds: number) => (seconds * 1000).toFixed(3);
const columns = (cells: readonly (string | number)[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 1 ? String(cell).padEnd(widths[i] ?? 0) : String(cell).padStart(widths[i] ?? 0))).join('  ');
/** Column widths; the address column holds an IPv4 address, or most IPv6 ones (a longer one pushes the rest right). */
const widths = (family: 4 | 6) => [3, family === 4 ? 15 : 26, 4, 3, 3, 8, 8, 8];

/** "TCP TRACE 10.0.0.1:443 (10.0.0.1) from port 1234: 3 probes per hop, at most 30 hops, timeout 1000 ms". */
export function traceHeader(
  target: { host: string; port: number },
  address: string,
  sourcePort: number,
  s: { probesPerHop: number; maxHops: number; probeTimeoutMs: number },
): string {
  const via = target.host === address ? '' : ` → ${address}`;
  return `TCP TRACE ${formatHostPort(target)}${via} from port ${sourcePort}: ${s.probesPerHop} probe${s.probesPerHop === 1 ? '' : 's'} per hop, at most ${s.maxHops} hops, timeout ${s.probeTimeoutMs} ms`;
}

/** Times in ms, as mtr's. */
export const tableHeader = (family: 4 | 6) =>
  `${columns(['HOP', 'ADDRESS', 'LOSS', 'SNT', 'RCV', 'BEST', 'AVG', 'WRST'], widths(family))}  ANSWER`;

/** What answered at a hop, in words. */
function answerText(hop: PathHop): string {
  switch (hop.answer) {
    case null:
      return 'no answer';
    case 'syn-ack':
      return 'SYN-ACK (port open)';
    case 'reset':
      return 'RST (port closed)';
    default:
      return hop.icmp ? `${describeIcmp(hop.icmp)} (type ${hop.icmp.type}, code ${hop.icmp.code})` : hop.answer;
  }
}

/**
 * A hop's line (and one more per further address that answered). A hop that answered nothing is
 * `*` with no loss figure: many routers never send time exceeded, and that is not loss.
 */
export function hopLines(hop: PathHop, family: 4 | 6): string[] {
  const w = widths(family);
  const rtt = hop.rtt;
  const loss = hop.received === 0 ? '' : `${Math.round((1 - hop.received / Math.max(1, hop.sent)) * 100)}%`;
  const cells = [
    hop.hop,
    hop.address ?? '*',
    loss,
    hop.sent,
    hop.received,
    rtt ? ms(rtt.min) : '',
    rtt ? ms(rtt.avg) : '',
    rtt ? ms(rtt.max) : '',
  ];
  const line = `${columns(cells, w)}  ${answerText(hop)}`.trimEnd();
  const others = hop.addresses.filter((a) => a !== hop.address).map((a) => `${' '.repeat(w[0] ?? 0)}  ${a}`);
  return [line, ...others];
}

/** The last line: where the trace ended and why. */
export function endLine(target: string, trace: PathTrace): string {
  const last = trace.hops.at(-1);
  const stop = answersStopAt(trace);
  switch (trace.end) {
    case 'syn-ack':
    case 'reset':
      return `${target} answered ${trace.end === 'syn-ack' ? 'SYN-ACK (port open)' : 'RST (port closed)'} at hop ${last?.hop}`;
    case 'unreachable':
      return `hop ${last?.hop} (${last?.address}) refused the probes: ${last?.icmp ? describeIcmp(last.icmp) : 'destination unreachable'}; ${target} not reached`;
    case 'error':
      return `trace stopped: ${trace.error ?? 'error'}`;
    default: {
      const where = stop ? `answers stop at hop ${stop.hop} (${stop.address})` : 'no hop answered';
      const silent = stop && last && last.hop > stop.hop ? `, nothing from hop ${stop.hop + 1} to ${last.hop}` : '';
      const why = trace.end === 'max-hops' ? `; ${target} not reached within ${last?.hop} hops` : `; ${target} did not answer`;
      return `${where}${silent}${why}`;
    }
  }
}

/** `tcpping trace --json`: times in seconds. */
export function traceJson(target: string, trace: PathTrace, settings: object) {
  const stop = answersStopAt(trace);
  return {
    target,
    ...trace,
    ...settings,
    reached: reached(trace),
    answersStopAt: stop ? { hop: stop.hop, address: stop.address } : null,
    hops: trace.hops.map((h) => ({
      ...h,
      // A hop that answered nothing tells nothing about loss (many routers never send time exceeded).
      lossRatio: h.received === 0 ? null : 1 - h.received / h.sent,
      icmp: h.icmp ? { ...h.icmp, description: describeIcmp(h.icmp) } : null,
    })),
  };
}
