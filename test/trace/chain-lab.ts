import { Namespaces, run } from '../helpers/netns.js';

/**
 * A path of four routers for traces, IPv4 and IPv6 over the same links:
 *
 *   client ── r1 ── r2 ──┬── r3a ──┬── r4 ── server
 *                        └── r3b ──┘
 *
 * Link n is 10.88.n.0/24 and fd88:n::/64, its end nearer the client .1 / ::1 and the other .2 /
 * ::2, so a router answers from the .2 address of the link it was reached by. r2 reaches the
 * server through r3a, r3b (a route change) or both (equal-cost multipath, hashed on the
 * five-tuple, IPv4 and IPv6). Answers come back through r3a whatever the way out (but r4 answers
 * IPv6 probes from the address they came in on). The server listens on `port`; nothing listens on `closedPort`.
 */
export const links = { c_r1: 1, r1_r2: 2, r2_r3a: 3, r2_r3b: 13, r3a_r4: 4, r3b_r4: 14, r4_s: 5 } as const;
const v4 = (link: number, end: 1 | 2) => `10.88.${link}.${end}`;
const v6 = (link: number, end: 1 | 2) => `fd88:${link}::${end}`;

export const port = 8080;
export const closedPort = 8081;

/** Addresses as the trace should name them, by family. */
export const hops = {
  4: { r1: v4(1, 2), r2: v4(2, 2), r3a: v4(3, 2), r3b: v4(13, 2), r4: v4(4, 2), server: v4(5, 2) },
  6: { r1: v6(1, 2), r2: v6(2, 2), r3a: v6(3, 2), r3b: v6(13, 2), r4: v6(4, 2), server: v6(5, 2) },
} as const;

type Router = 'r1' | 'r2' | 'r3a' | 'r3b' | 'r4';

export class ChainLab extends Namespaces {
  readonly client = this.named('c');
  readonly r1 = this.named('r1');
  readonly r2 = this.named('r2');
  readonly r3a = this.named('r3a');
  readonly r3b = this.named('r3b');
  readonly r4 = this.named('r4');
  readonly server = this.named('s');

  create(): void {
    this.addNamespaces();
    const wire: [string, string, number][] = [
      [this.client, this.r1, links.c_r1],
      [this.r1, this.r2, links.r1_r2],
      [this.r2, this.r3a, links.r2_r3a],
      [this.r2, this.r3b, links.r2_r3b],
      [this.r3a, this.r4, links.r3a_r4],
      [this.r3b, this.r4, links.r3b_r4],
      [this.r4, this.server, links.r4_s],
    ];
    for (const [near, far, link] of wire) {
      run('ip', ['link', 'add', `l${link}a`, 'netns', near, 'type', 'veth', 'peer', 'name', `l${link}b`, 'netns', far]);
      for (const [ns, dev, end] of [
        [near, `l${link}a`, 1],
        [far, `l${link}b`, 2],
      ] as const) {
        run('ip', ['-n', ns, 'addr', 'add', `${v4(link, end)}/24`, 'dev', dev]);
        // nodad: no 1-2 s of duplicate address detection before the addresses can be used.
        run('ip', ['-n', ns, '-6', 'addr', 'add', `${v6(link, end)}/64`, 'dev', dev, 'nodad']);
        run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
    }
    for (const ns of [this.r1, this.r2, this.r3a, this.r3b, this.r4]) {
      const settings = [
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv4.icmp_ratelimit=0',
        'net.ipv6.icmp.ratelimit=0',
      ];
      run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
    }
    // Layer-4 hashing: addresses, protocol and ports. Policy 1 is layer 4 too, but it takes a forwarded
    // packet's flow hash as it arrives (skb->hash) when there is one: from a physical NIC that is its
    // RSS hash of the five-tuple; over veth it is the sending socket's random hash, a new one per
    // probe socket. Policy 3 with these fields hashes the five-tuple itself, as a router's NIC would.
    const fields = 'fib_multipath_hash_fields=0x37'; // source and destination address, protocol, source and destination port
    const policy = [
      'net.ipv4.fib_multipath_hash_policy=3',
      `net.ipv4.${fields}`,
      'net.ipv6.fib_multipath_hash_policy=3',
      `net.ipv6.${fields}`,
    ];
    run('ip', ['netns', 'exec', this.r2, 'sysctl', '-q', '-w', ...policy]);
    // Towards the server: everyone's default; back towards the client: the subnets behind, via r3a.
    const toward: [string, number][] = [
      [this.client, links.c_r1],
      [this.r1, links.r1_r2],
      [this.r3a, links.r3a_r4],
      [this.r3b, links.r3b_r4],
      [this.r4, links.r4_s],
    ];
    for (const [ns, link] of toward) this.route(ns, 'default', link, 2);
    const back: [string, number, number[]][] = [
      [this.server, links.r4_s, [1, 2, 3, 13, 4, 14]],
      [this.r4, links.r3a_r4, [1, 2, 3, 13]],
      [this.r3a, links.r2_r3a, [1, 2]],
      [this.r3b, links.r2_r3b, [1, 2]],
      [this.r2, links.r1_r2, [1]],
    ];
    for (const [ns, link, subnets] of back) for (const subnet of subnets) this.route(ns, subnet, link, 1);
    this.via('r3a');
  }

  /** r2's way to the server: through r3a, r3b, or both as equal-cost multipath. */
  via(way: 'r3a' | 'r3b' | 'both'): void {
    const hops4 = way === 'both' ? ['r3a', 'r3b'] : [way];
    const nexthop = (family: 4 | 6, router: string) => {
      const link = router === 'r3a' ? links.r2_r3a : links.r2_r3b;
      return ['nexthop', 'via', family === 4 ? v4(link, 2) : v6(link, 2)];
    };
    run('ip', ['-n', this.r2, 'route', 'replace', `10.88.${links.r4_s}.0/24`, ...hops4.flatMap((r) => nexthop(4, r))]);
    run('ip', ['-n', this.r2, '-6', 'route', 'replace', `fd88:${links.r4_s}::/64`, ...hops4.flatMap((r) => nexthop(6, r))]);
  }

  /** The router forwards nothing more to the server: loss behind it, its own time exceeded still sent. */
  dropAt(router: Router, on: boolean): void {
    const ruleset = `table inet tcpping_loss {
  chain forward {
    type filter hook forward priority filter;
    ip daddr ${hops[4].server} drop
    ip6 daddr ${hops[6].server} drop
  }
}
`;
    this.table(router, 'tcpping_loss', on ? ruleset : undefined);
  }

  /** The router sends no time exceeded (many do not): its hop answers nothing. */
  quiet(router: Router, on: boolean): void {
    const ruleset = `table inet tcpping_quiet {
  chain output {
    type filter hook output priority filter;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
}
`;
    this.table(router, 'tcpping_quiet', on ? ruleset : undefined);
  }

  /** Counts SYNs to the server's port per source port as they enter `router`. */
  countFlows(router: Router): void {
    run('ip', ['netns', 'exec', this[router], 'nft', '-f', '-'], flowCounters);
  }

  /** SYNs counted per source port (see countFlows). */
  flows(router: Router): Map<number, number> {
    const out = this.exec(this[router], ['nft', '-j', 'list', 'set', 'inet', 'tcpping_flows', 'syns']);
    type Element = { elem?: { val: number; counter: { packets: number } } };
    const elements = (JSON.parse(out).nftables as { set?: { elem?: Element[] } }[]).find((e) => e.set)?.set?.elem ?? [];
    return new Map(elements.flatMap((e) => (e.elem ? [[e.elem.val, e.elem.counter.packets] as const] : [])));
  }

  private route(ns: string, to: 'default' | number, link: number, end: 1 | 2): void {
    run('ip', ['-n', ns, 'route', 'replace', to === 'default' ? 'default' : `10.88.${to}.0/24`, 'via', v4(link, end)]);
    run('ip', ['-n', ns, '-6', 'route', 'replace', to === 'default' ? 'default' : `fd88:${to}::/64`, 'via', v6(link, end)]);
  }

  private table(router: Router, name: string, ruleset: string | undefined): void {
    const ns = this[router];
    if (ruleset) run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], ruleset);
    else run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', name]);
  }
}

/** A set counting the SYNs (no ACK) to the server's port, per source port. */
const flowCounters = `table inet tcpping_flows {
  set syns { type inet_service; flags dynamic; counter; }
  chain prerouting { type filter hook prerouting priority filter; tcp dport ${port} tcp flags & (syn | ack) == syn add @syns { tcp sport }; }
}
`;
