// ICMP type/code pairs in words, for the dashboard's value mappings (key: "type/code").
// tcpping_icmp_errors_total has no address-family label, so where ICMPv4 and ICMPv6 reuse a number
// (types 3 and 4) the ICMPv4 meaning is shown; ICMPv6 types 1 and 2 are unused in ICMPv4.
const names = {
  none: 'no ICMP errors',
  '3/0': 'destination network unreachable',
  '3/1': 'destination host unreachable',
  '3/2': 'protocol unreachable',
  '3/3': 'port unreachable',
  '3/4': 'fragmentation needed (DF set)',
  '3/5': 'source route failed',
  '3/6': 'destination network unknown',
  '3/7': 'destination host unknown',
  '3/9': 'network administratively prohibited',
  '3/10': 'host administratively prohibited',
  '3/11': 'network unreachable for TOS',
  '3/12': 'host unreachable for TOS',
  '3/13': 'communication administratively prohibited',
  '4/0': 'source quench',
  '5/0': 'redirect for network',
  '5/1': 'redirect for host',
  '11/0': 'TTL exceeded in transit',
  '11/1': 'fragment reassembly time exceeded',
  '12/0': 'parameter problem',
  '1/0': 'ICMPv6 no route to destination',
  '1/1': 'ICMPv6 administratively prohibited',
  '1/2': 'ICMPv6 beyond scope of source address',
  '1/3': 'ICMPv6 address unreachable',
  '1/4': 'ICMPv6 port unreachable',
  '1/5': 'ICMPv6 source address failed policy',
  '1/6': 'ICMPv6 reject route to destination',
  '2/0': 'ICMPv6 packet too big',
};

export const icmpMappings = [
  { type: 'value', options: Object.fromEntries(Object.entries(names).map(([key, text], index) => [key, { text, index }])) },
];
