import type { IcmpReport } from '../domain/ping.js';

/** Linux's icmp_err_convert (net/ipv4/icmp.c), by ICMP destination-unreachable code. */
const unreachable4 = [
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOPROTOOPT',
  'ECONNREFUSED',
  'EMSGSIZE',
  'EOPNOTSUPP',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENONET',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
] as const;
/** Linux's icmpv6_err_convert (net/ipv6/icmp.c), by ICMPv6 destination-unreachable code. */
const unreachable6 = ['ENETUNREACH', 'EACCES', 'EHOSTUNREACH', 'EHOSTUNREACH', 'ECONNREFUSED', 'EACCES', 'EACCES'] as const;

/** The errno Linux gives a TCP socket for this ICMP error (what connect() or read() then fail with). */
export function errnoOfIcmp(report: Pick<IcmpReport, 'family' | 'type' | 'code'>): string | undefined {
  const { family, type, code } = report;
  if (family === 4) {
    if (type === 3) return unreachable4[code];
    if (type === 11) return 'EHOSTUNREACH';
    if (type === 12) return 'EPROTO';
    return undefined;
  }
  if (type === 1) return unreachable6[code] ?? 'EPROTO';
  if (type === 2) return 'EMSGSIZE';
  if (type === 3) return 'EHOSTUNREACH';
  if (type === 4) return 'EPROTO';
  return undefined;
}

export interface IcmpEvidence {
  /** The error the kernel accepted for the ping's socket and queued (its error queue). */
  readonly queued?: IcmpReport | undefined;
  /** The ICMP capture's copy of an error that quoted the ping's addresses and ports. */
  readonly captured?: IcmpReport | undefined;
  /** The errno the ping's socket failed with, if it failed. */
  readonly errno?: string | undefined;
}

const same = (a: IcmpReport, b: IcmpReport) => a.family === b.family && a.type === b.type && a.code === b.code;

/**
 * Which ICMP error explains a ping, and which is only counted. The socket's error queue is the
 * authority: the kernel put an error there after checking that it quoted this very connection
 * (sequence number in window). A raw copy is believed only when it agrees with the errno the
 * socket itself failed with (TCP queues nothing for an established connection, so that is how the
 * echo request's errors get their type and code). Anything else, a forged error for a guessed port
 * above all, changes nothing and is counted apart. Pure.
 */
export function icmpVerdict(evidence: IcmpEvidence): { icmp?: IcmpReport; apart?: IcmpReport } {
  const { queued, captured, errno } = evidence;
  if (queued) return captured && !same(captured, queued) ? { icmp: queued, apart: captured } : { icmp: queued };
  if (!captured) return {};
  if (errno !== undefined && errnoOfIcmp(captured) === errno) return { icmp: captured };
  return { apart: captured };
}
