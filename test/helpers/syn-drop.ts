/**
 * nftables rules for a router that drops the first `drops` SYNs of each of the first `flows` flows
 * to `address:port` and lets the next one through, counting both: named counters `syns_<tag>`
 * (every SYN seen) and `drops_<tag>` (those dropped). Dynamic sets remember, per source address
 * and port, how many copies of a flow's SYN were dropped so far; once the first set is full, new
 * flows pass untouched (a full set makes its `add` fail, and the rule with it).
 */
export interface SynDrop {
  readonly address: string;
  readonly port: number;
  readonly drops: number;
  readonly flows: number;
  /** Names the counters and sets; unique within the table. */
  readonly tag: string;
}

function rules({ address, port, drops, flows, tag }: SynDrop): { sets: string[]; counters: string[]; chain: string[] } {
  const v6 = address.includes(':');
  const ip = v6 ? 'ip6' : 'ip';
  const match = `${ip} daddr ${address} tcp dport ${port} tcp flags & (syn | ack) == syn`;
  const flow = `${ip} saddr . tcp sport`;
  const set = (n: number) => `${tag}_${n}`;
  const sets = Array.from(
    { length: drops },
    (_, i) =>
      `set ${set(i + 1)} { type ${v6 ? 'ipv6_addr' : 'ipv4_addr'} . inet_service; size ${flows}; flags dynamic, timeout; timeout 120s; }`,
  );
  const chain = [`${match} counter name syns_${tag}`, `${match} ${flow} @${set(drops)} accept`];
  for (let n = drops - 1; n >= 1; n--)
    chain.push(`${match} ${flow} @${set(n)} add @${set(n + 1)} { ${flow} } counter name drops_${tag} drop`);
  chain.push(`${match} add @${set(1)} { ${flow} } counter name drops_${tag} drop`);
  return { sets, counters: [`counter syns_${tag} {}`, `counter drops_${tag} {}`], chain };
}

/** A whole `table inet <name>` for the router's forward hook, run before the lab's own rules. */
export function synDropTable(name: string, drops: readonly SynDrop[]): string {
  const parts = drops.map(rules);
  return [
    `table inet ${name} {`,
    ...parts.flatMap((p) => [...p.sets, ...p.counters]).map((l) => `  ${l}`),
    '  chain forward {',
    '    type filter hook forward priority filter - 10;',
    ...parts.flatMap((p) => p.chain).map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The value of a named counter's packets in `nft -j list counters` output. */
export function counterPackets(json: string, name: string): number {
  const parsed = JSON.parse(json) as { nftables: { counter?: { name: string; packets: number } }[] };
  const counter = parsed.nftables.find((e) => e.counter?.name === name)?.counter;
  if (!counter) throw new Error(`no nft counter ${name}`);
  return counter.packets;
}
