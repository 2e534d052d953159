// ICMP errors in words, for the dashboard's value mappings. Key: "version/type/code", as the
// panel joins the icmp_version, icmp_type and icmp_code labels of tcpping_icmp_errors_total
// (ICMPv4 and ICMPv6 reuse type numbers with other meanings, so the version is part of the key).
const names = {
  none: 'no ICMP errors',
  '4/3/0': 'destination network unreachable',
  '4/3/1': 'destination host unreachable',
  '4/3/2': 'protocol unreachable',
  '4/3/3': 'port unreachable',
  '4/3/4': 'fragmentation needed (DF set)',
  '4/3/5': 'source route failed',
  '4/3/6': 'destination network unknown',
  '4/3/7': 'destination host unknown',
  '4/3/9': 'network administratively prohibited',
  '4/3/10': 'host administratively prohibited',
  '4/3/11': 'network unreachable for TOS',
  '4/3/12': 'host unreachable for TOS',
  '4/3/13': 'communication administratively prohibited',
  '4/11/0': 'TTL exceeded in transit',
  '4/11/1': 'fragment reassembly time exceeded',
  '4/12/0': 'parameter problem',
  '6/1/0': 'ICMPv6 no route to destination',
  '6/1/1': 'ICMPv6 administratively prohibited',
  '6/1/2': 'ICMPv6 beyond scope of source address',
  '6/1/3': 'ICMPv6 address unreachable',
  '6/1/4': 'ICMPv6 port unreachable',
  '6/1/5': 'ICMPv6 source address failed policy',
  '6/1/6': 'ICMPv6 reject route to destination',
  '6/2/0': 'ICMPv6 packet too big',
  '6/3/0': 'ICMPv6 hop limit exceeded in transit',
  '6/3/1': 'ICMPv6 fragment reassembly time exceeded',
  '6/4/0': 'ICMPv6 parameter problem: erroneous header field',
  '6/4/1': 'ICMPv6 parameter problem: unrecognized next header',
};

export const icmpMappings = [
  { type: 'value', options: Object.fromEntries(Object.entries(names).map(([key, text], index) => [key, { text, index }])) },
];
