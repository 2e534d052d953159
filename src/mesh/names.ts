import { formatHostPort } from '../util/hostport.js';
import type { PeerAddress } from './discover.js';

/**
 * Peers are found by address, but a pod's address changes when it restarts: series named by
 * address would break every time. Each agent says its own name (the node name) at
 * GET /api/v1/self; we ask each new address once and name its target by the answer.
 */
export class PeerNames {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly webPort: number,
    private readonly timeoutMs = 1000,
  ) {}

  async name(peer: PeerAddress): Promise<string> {
    const cached = this.known.get(peer.host);
    if (cached) return cached;
    try {
      const url = `http://${formatHostPort({ host: peer.host, port: this.webPort })}/api/v1/self`;
      const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      const body = (await response.json()) as { name?: unknown };
      if (response.ok && typeof body.name === 'string' && body.name !== '') {
        this.known.set(peer.host, body.name);
        return body.name;
      }
    } catch {
      // Not answering yet (starting, or unreachable): named by address until it does.
    }
    return peer.host;
  }

  /** Forget addresses no longer among the peers, so a reused address is asked again. */
  retain(hosts: ReadonlySet<string>): void {
    for (const host of this.known.keys()) if (!hosts.has(host)) this.known.delete(host);
  }
}
