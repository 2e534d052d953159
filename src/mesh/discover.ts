import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { formatHostPort, parseHostPort } from '../util/hostport.js';

export interface MeshSettings {
  readonly peersDns: string;
  readonly peers: readonly string[];
  readonly port: number;
  readonly selfAddress: string;
}

/** A peer found by discovery, before it is named. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export type LookupAll = (name: string) => Promise<string[]>;

export const systemLookupAll: LookupAll = async (name) => (await lookup(name, { all: true })).map((a) => a.address);

/** Addresses of this host, so an agent can skip itself when it finds its own record. */
export function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) addresses.add(a.address);
  return addresses;
}

/**
 * The peers of this agent: the A/AAAA records of `peersDns` (looked up afresh each time) and the
 * static list, without this agent itself. A failed lookup is an error the caller reports; it
 * keeps the peers it had.
 */
export async function discoverPeers(
  settings: MeshSettings,
  lookupAll: LookupAll = systemLookupAll,
  self = localAddresses(),
): Promise<PeerAddress[]> {
  if (settings.selfAddress !== '') self.add(settings.selfAddress);
  const found = new Map<string, PeerAddress>();
  const add = (peer: PeerAddress) => {
    if (!self.has(peer.host)) found.set(formatHostPort(peer), peer);
  };
  for (const text of settings.peers) {
    const parsed = parseHostPort(text, settings.port);
    if (parsed.ok) add(parsed.value);
  }
  if (settings.peersDns !== '') {
    for (const host of await lookupAll(settings.peersDns)) add({ host, port: settings.port });
  }
  return [...found.values()].sort((a, b) => (formatHostPort(a) < formatHostPort(b) ? -1 : 1));
}
