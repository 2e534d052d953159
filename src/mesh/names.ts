import type { Clock } from '../util/clock.js';
import { formatHostPort } from '../util/hostport.js';
import type { PeerAddress } from './discover.js';

/** A peer's name becomes a label value: a host name's characters and length (a Kubernetes node name fits). */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
/** {"name": ..., "version": ...} is under 300 bytes; a peer that sends more is not one of ours. */
const MAX_BODY_BYTES = 4096;

export function validPeerName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

export type NameLookup = (url: string, timeoutMs: number) => Promise<unknown>;

/** GET the URL and parse its JSON body, reading at most MAX_BODY_BYTES of it within the timeout. */
export const fetchSelf: NameLookup = async (url, timeoutMs) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new Error(`answer larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

/**
 * Peers are found by address, but a pod's address changes when it restarts: series named by
 * address would break every time. Each agent says its own name (the node name) at
 * GET /api/v1/self; we ask each new address once and name its target by the answer. A peer is not
 * trusted blindly: the answer is bounded in size and time, the name must look like a host name,
 * and an address that fails is asked again only after a growing pause (up to maxBackoffMs).
 */
export class PeerNames {
  private readonly known = new Map<string, string>();
  private readonly failures = new Map<string, { count: number; retryAtMs: number }>();

  constructor(
    private readonly webPort: number,
    private readonly clock: Clock,
    private readonly lookup: NameLookup = fetchSelf,
    private readonly timeoutMs = 1000,
    private readonly backoffMs = 10_000,
    private readonly maxBackoffMs = 600_000,
  ) {}

  /**
   * The peer's own name, or null while it has none (it is then named by its address); `problem`
   * says why an answer was refused (a name too long or with odd characters, an oversized body).
   */
  async name(peer: PeerAddress): Promise<{ name: string | null; problem?: string }> {
    const cached = this.known.get(peer.host);
    if (cached) return { name: cached };
    const failed = this.failures.get(peer.host);
    if (failed && this.clock.nowMs() < failed.retryAtMs) return { name: null };
    let problem: string | undefined;
    try {
      const url = `http://${formatHostPort({ host: peer.host, port: this.webPort })}/api/v1/self`;
      const body = (await this.lookup(url, this.timeoutMs)) as { name?: unknown } | null;
      const name = body?.name;
      if (validPeerName(name)) {
        this.known.set(peer.host, name);
        this.failures.delete(peer.host);
        return { name };
      }
      problem = `its name is not a valid name (${typeof name === 'string' ? `${name.length} characters` : typeof name})`;
    } catch (error) {
      // Not answering yet (starting, or unreachable) is no problem; an oversized answer is.
      if (/larger than/.test((error as Error).message)) problem = (error as Error).message;
    }
    const count = (failed?.count ?? 0) + 1;
    const waitMs = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (count - 1));
    this.failures.set(peer.host, { count, retryAtMs: this.clock.nowMs() + waitMs });
    return problem ? { name: null, problem } : { name: null };
  }

  /** Forget addresses no longer among the peers, so a reused address is asked again. */
  retain(hosts: ReadonlySet<string>): void {
    for (const host of this.known.keys()) if (!hosts.has(host)) this.known.delete(host);
    for (const host of this.failures.keys()) if (!hosts.has(host)) this.failures.delete(host);
  }
}
