import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) hashing: each agent ranks every peer by hash(self, peer) and
 * pings the top K. The choice is stable — a peer joining or leaving changes at most one pick per
 * agent — and spread evenly, so N agents cost N·K pings per round instead of N².
 */
export function rendezvousPick(self: string, peers: readonly string[], k: number): string[] {
  if (k <= 0 || k >= peers.length) return [...peers].sort();
  return peers
    .map((peer) => ({ peer, weight: weight(self, peer) }))
    .sort((a, b) => (a.weight < b.weight ? 1 : a.weight > b.weight ? -1 : a.peer < b.peer ? -1 : 1))
    .slice(0, k)
    .map((p) => p.peer)
    .sort();
}

function weight(self: string, peer: string): bigint {
  return createHash('sha256').update(`${self}\0${peer}`).digest().readBigUInt64BE(0);
}
