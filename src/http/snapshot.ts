import { yieldToLoop } from '../metrics/exposition.js';
import type { Clock } from '../util/clock.js';

/**
 * Views of the status board (the page, the targets API) built once and served to every request
 * until the board changes, and then at most once per `minAgeMs`: at 1,000 targets a round ends every
 * few milliseconds, and two browsers reloading the page must not make the service render it
 * thousands of times a second while its pings wait. A view is a list of chunks, built with the
 * event loop free between them; requests that arrive during a build share it. Keys are bounded.
 */
export class Snapshots {
  private readonly entries = new Map<string, { version: number | string; builtAtMs: number; chunks: Promise<string[]> }>();

  constructor(
    private readonly clock: Clock,
    private readonly minAgeMs = 1000,
    private readonly maxEntries = 16,
  ) {}

  /** `version` changes whenever what the view shows does (the board's version, and anything else it shows). */
  get(key: string, version: number | string, build: () => Promise<string[]>): Promise<string[]> {
    const entry = this.entries.get(key);
    const now = this.clock.nowMs();
    if (entry && (entry.version === version || now - entry.builtAtMs < this.minAgeMs)) return entry.chunks;
    const chunks = build();
    // A failed build is not kept: the next request tries again.
    chunks.catch(() => {
      if (this.entries.get(key)?.chunks === chunks) this.entries.delete(key);
    });
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { version, builtAtMs: now, chunks });
    return chunks;
  }
}

/** JSON of a long list in chunks of `per` items, the event loop free between them. */
export async function jsonChunks(head: string, items: readonly unknown[], tail: string, per = 50): Promise<string[]> {
  const chunks = [head];
  for (let i = 0; i < items.length; i += per) {
    if (i > 0) await yieldToLoop();
    const part = items
      .slice(i, i + per)
      .map((item) => JSON.stringify(item))
      .join(',');
    chunks.push(i === 0 ? part : `,${part}`);
  }
  chunks.push(tail);
  return chunks;
}
