/**
 * Fair admission for a server with a connection cap, as nginx and HAProxy do it: when the server,
 * or one source address, is full, the connection that made progress longest ago is closed to make
 * room, so a new client is always served and one client cannot pin every slot with idle or
 * trickling connections. "Progress" is what the server counts as useful (a complete request line,
 * a finished HTTP response), not any byte: a slowloris client's bytes do not keep its slot warm.
 */
export interface SlotLimits {
  readonly maxConnections: number;
  readonly maxPerAddress: number;
}

export const evictionReasons = ['server_full', 'address_full'] as const;
export type EvictionReason = (typeof evictionReasons)[number];

export interface Slot {
  readonly address: string;
  /** Connections with work in flight (an HTTP request being answered) are not evicted. */
  busy: boolean;
}

interface Entry extends Slot {
  readonly close: (reason: EvictionReason) => void;
}

export type Admission = { readonly slot: Slot } | { readonly refused: EvictionReason };

/**
 * The open connections in order of their last progress (Maps keep insertion order, so "touch" is a
 * delete and a set): the first idle entry is the one to evict, found without a scan of the whole set.
 */
export class ConnectionSlots {
  private readonly all = new Map<Slot, Entry>();
  private readonly byAddress = new Map<string, Map<Slot, Entry>>();

  constructor(private readonly limits: SlotLimits) {}

  get size(): number {
    return this.all.size;
  }

  /** Takes a slot for a new connection, evicting idle ones if the server or its address is full. */
  admit(address: string, close: (reason: EvictionReason) => void): Admission {
    const mine = this.byAddress.get(address);
    if (mine && mine.size >= this.limits.maxPerAddress && !this.evictFrom(mine, 'address_full')) return { refused: 'address_full' };
    if (this.all.size >= this.limits.maxConnections && !this.evictFrom(this.all, 'server_full')) return { refused: 'server_full' };
    const entry: Entry = { address, busy: false, close };
    this.all.set(entry, entry);
    const list = this.byAddress.get(address) ?? new Map<Slot, Entry>();
    list.set(entry, entry);
    this.byAddress.set(address, list);
    return { slot: entry };
  }

  /** The connection made progress: it goes to the back of the eviction order. */
  progress(slot: Slot): void {
    const entry = this.all.get(slot);
    if (!entry) return;
    this.all.delete(slot);
    this.all.set(slot, entry);
    const list = this.byAddress.get(slot.address);
    list?.delete(slot);
    list?.set(slot, entry);
  }

  /** The connection closed (for whatever reason). */
  release(slot: Slot): void {
    if (!this.all.delete(slot)) return;
    const list = this.byAddress.get(slot.address);
    list?.delete(slot);
    if (list?.size === 0) this.byAddress.delete(slot.address);
  }

  /** Closes the idle entry that made progress longest ago; false when every one is busy. */
  private evictFrom(entries: Map<Slot, Entry>, reason: EvictionReason): boolean {
    for (const entry of entries.values()) {
      if (entry.busy) continue;
      this.release(entry);
      entry.close(reason);
      return true;
    }
    return false;
  }
}
