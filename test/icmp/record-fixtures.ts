/**
 * Records real ICMP errors as hex fixtures: builds the namespace lab, then (re-run inside the
 * client namespace) opens the raw sockets, sends one SYN to each lab address and saves what comes
 * back. Run as root: node --import tsx test/icmp/record-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { openIcmpSocket } from '../../src/icmp/raw.js';
import { finished, Lab, lab4, lab6 } from '../helpers/netns.js';

const dir = new URL('../fixtures/icmp/', import.meta.url);
const names: Record<string, string> = {
  hostUnreachable: 'host-unreachable',
  adminProhibited: 'admin-prohibited',
  portUnreachable: 'port-unreachable',
  ttlExceeded: 'ttl-exceeded',
  unreachableRoute: 'unreachable-route',
};

if (process.argv[2] === '--inside') {
  const seen = new Set<string>();
  for (const [family, addresses] of [
    [4, lab4],
    [6, lab6],
  ] as const) {
    const socket = openIcmpSocket(family);
    socket.on('message', (packet) => {
      // The quoted destination sits at a fixed place in these packets: outer IPv4 + ICMP + IPv4 (v4), ICMPv6 + IPv6 (v6).
      const hex = packet.toString('hex');
      const key = Object.entries(addresses).find(([k, a]) => names[k] && hex.includes(addressHex(a)))?.[0];
      if (!key || seen.has(`${family}${key}`)) return;
      seen.add(`${family}${key}`);
      writeFileSync(new URL(`v${family}-${names[key]}.hex`, dir), `${hex}\n`);
    });
    setTimeout(() => socket.close(), 2000);
    for (const key of Object.keys(names)) {
      const s = connect({ host: addresses[key as keyof typeof addresses], port: 11000 });
      s.on('error', () => {});
      setTimeout(() => s.destroy(), 1500);
    }
  }
} else {
  const lab = new Lab('record');
  try {
    lab.create();
    const result = await finished(lab.node(lab.client, [new URL(import.meta.url).pathname, '--inside']), 10_000);
    process.stdout.write(result.stdout + result.stderr);
  } finally {
    lab.destroy();
  }
}

function addressHex(address: string): string {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number)).toString('hex');
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const zeros = 8 - groups(head).length - groups(tail).length;
  return [...groups(head), ...Array(zeros).fill('0'), ...groups(tail)].map((g) => g.padStart(4, '0')).join('');
}
