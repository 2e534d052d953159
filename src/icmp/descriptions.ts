import type { IcmpReport } from '../domain/ping.js';

/** Names as ping(8) and RFC 792 / RFC 4443 print them, by type then code. */
const names4: Record<number, { readonly title: string; readonly codes: readonly string[] }> = {
  3: {
    title: 'Destination Unreachable',
    codes: [
      'Destination Net Unreachable',
      'Destination Host Unreachable',
      'Destination Protocol Unreachable',
      'Destination Port Unreachable',
      'Fragmentation needed and DF set',
      'Source Route Failed',
      'Destination Net Unknown',
      'Destination Host Unknown',
      'Source Host Isolated',
      'Destination Net Prohibited',
      'Destination Host Prohibited',
      'Destination Net Unreachable for Type of Service',
      'Destination Host Unreachable for Type of Service',
      'Communication Administratively Prohibited',
      'Host Precedence Violation',
      'Precedence Cutoff in Effect',
    ],
  },
  11: { title: 'Time Exceeded', codes: ['Time to live exceeded in transit', 'Fragment reassembly time exceeded'] },
  12: {
    title: 'Parameter Problem',
    codes: ['Parameter problem: pointer indicates the error', 'Parameter problem: missing option', 'Parameter problem: bad length'],
  },
};

const names6: Record<number, { readonly title: string; readonly codes: readonly string[] }> = {
  1: {
    title: 'Destination Unreachable',
    codes: [
      'No route to destination',
      'Communication with destination administratively prohibited',
      'Beyond scope of source address',
      'Address unreachable',
      'Port unreachable',
      'Source address failed ingress/egress policy',
      'Reject route to destination',
      'Error in Source Routing Header',
    ],
  },
  2: { title: 'Packet Too Big', codes: ['Packet too big'] },
  3: { title: 'Time Exceeded', codes: ['Hop limit exceeded in transit', 'Fragment reassembly time exceeded'] },
  4: {
    title: 'Parameter Problem',
    codes: ['Erroneous header field encountered', 'Unrecognized Next Header type encountered', 'Unrecognized IPv6 option encountered'],
  },
};

/** "Destination Host Unreachable"; an unknown code still gets its type's name and the number. */
export function describeIcmp(report: Pick<IcmpReport, 'family' | 'type' | 'code'>): string {
  const entry = (report.family === 4 ? names4 : names6)[report.type];
  if (!entry) return `${report.family === 4 ? 'ICMP' : 'ICMPv6'} type ${report.type}`;
  return entry.codes[report.code] ?? `${entry.title} (unknown code ${report.code})`;
}

/** "Destination Host Unreachable (type 3, code 1) from 10.77.1.254". */
export function icmpInWords(report: IcmpReport): string {
  const protocol = report.family === 4 ? 'ICMP' : 'ICMPv6';
  return `${protocol} ${describeIcmp(report)} (type ${report.type}, code ${report.code}) from ${report.reporter}`;
}
