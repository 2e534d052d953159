import type { PathTrace } from '../domain/path.js';

/**
 * The hops at which the path changed between two traces of one flow: a hop where both got answers
 * and no address answered both times (a router replaced, or the destination answering sooner or
 * later). A hop silent in either trace tells nothing, so answers that stop earlier (the loss
 * itself) or a router that skipped its ICMP are no change. Pure.
 */
export function changedHops(before: Pick<PathTrace, 'hops'>, after: Pick<PathTrace, 'hops'>): number[] {
  const earlier = new Map(before.hops.map((h) => [h.hop, h.addresses]));
  const changed: number[] = [];
  for (const hop of after.hops) {
    const was = earlier.get(hop.hop);
    if (!was || was.length === 0 || hop.addresses.length === 0) continue;
    if (!hop.addresses.some((a) => was.includes(a))) changed.push(hop.hop);
  }
  return changed;
}
