import type { Clock, TimerHandle } from '../util/clock.js';

/** Something the queue fires at its time; the queue keeps its place on it, so leaving costs O(log n). */
export interface Due {
  /** When it is due (the clock's milliseconds); set by the queue. */
  dueMs: number;
  /** Its index in the queue's heap, -1 when it is not queued; set by the queue. */
  slot: number;
  /** Ties at one time fire in the order they were queued, as timers of one duration do. */
  order: number;
  fire(): void;
}

/**
 * The targets' next rounds in one min-heap under one timer. A timer of the clock's per target and
 * round was a Node.js Timeout made each round (garbage that lived a round, long enough to leave
 * the young generation) and, at a reload, one timer list per target (their durations differ) with
 * its entry in Node.js's queue of lists: about 330 bytes a target, made 10,000 at a time.
 *
 * When the timer fires, everything due by the time it was armed for fires, even if the clock reads
 * a little earlier (Node.js counts a timer from the loop's cached time, which can lag): as each
 * target's own timer fired then, and a round's lag is still measured against its planned time.
 */
export class DueQueue {
  private readonly heap: Due[] = [];
  private timer: TimerHandle | undefined;
  /** The time the timer was armed for; infinite when it is not armed. */
  private armedMs = Number.POSITIVE_INFINITY;
  private queued = 0;
  /** Set while due items fire: what they queue is armed for once, after them. */
  private firing = false;
  private readonly onTimer = () => this.fireDue();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.heap.length;
  }

  /** Queues `item` at `dueMs` (moving it if it was queued). */
  add(item: Due, dueMs: number): void {
    if (item.slot >= 0) this.removeAt(item.slot);
    item.dueMs = dueMs;
    item.order = this.queued++;
    item.slot = this.heap.length;
    this.heap.push(item);
    this.up(item.slot);
    if (!this.firing && dueMs < this.armedMs) this.arm();
  }

  remove(item: Due): void {
    if (item.slot < 0) return;
    this.removeAt(item.slot);
    // An earlier timer left armed finds nothing due and arms for the next; none is left for nothing.
    if (this.heap.length === 0) this.disarm();
  }

  private fireDue(): void {
    this.timer = undefined;
    const limit = Math.max(this.armedMs, this.clock.nowMs());
    this.armedMs = Number.POSITIVE_INFINITY;
    // What fires queues itself again later than `limit` (its next round is after now and after the
    // time this timer was armed for, the earliest then queued); and only what was queued before
    // the pass fires in it, whatever an item does: so a pass ends.
    const queuedBefore = this.queued;
    this.firing = true;
    try {
      for (let first = this.heap[0]; first !== undefined && first.dueMs <= limit && first.order < queuedBefore; first = this.heap[0]) {
        this.removeAt(0);
        first.fire();
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  private arm(): void {
    this.disarm();
    const first = this.heap[0];
    if (first === undefined) return;
    this.armedMs = first.dueMs;
    this.timer = this.clock.setTimeout(this.onTimer, first.dueMs - this.clock.nowMs());
  }

  private disarm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedMs = Number.POSITIVE_INFINITY;
  }

  private removeAt(slot: number): void {
    const { heap } = this;
    const item = heap[slot] as Due;
    item.slot = -1;
    const last = heap.pop() as Due;
    if (last === item) return;
    this.place(last, slot);
    this.down(slot);
    this.up(last.slot);
  }

  private up(slot: number): void {
    const { heap } = this;
    const item = heap[slot] as Due;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot] as Due;
      if (!before(item, parent)) break;
      this.place(parent, slot);
      slot = parentSlot;
    }
    this.place(item, slot);
  }

  private down(slot: number): void {
    const { heap } = this;
    const item = heap[slot] as Due;
    const half = heap.length >> 1;
    while (slot < half) {
      let childSlot = 2 * slot + 1;
      let child = heap[childSlot] as Due;
      const right = heap[childSlot + 1];
      if (right !== undefined && before(right, child)) {
        childSlot++;
        child = right;
      }
      if (!before(child, item)) break;
      this.place(child, slot);
      slot = childSlot;
    }
    this.place(item, slot);
  }

  private place(item: Due, slot: number): void {
    this.heap[slot] = item;
    item.slot = slot;
  }
}

function before(a: Due, b: Due): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.order < b.order);
}
