import type { Target } from '../domain/target.js';
import { observerEvents } from '../scheduler/observers.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import { EVENT_SLOTS, type FromWorker } from './messages.js';

/** Events are sent a batch at a time: one message per event would cost more than the ping itself. */
const FLUSH_AFTER_MS = 10;
const MAX_BATCH_EVENTS = 1024;

/**
 * A worker's side of the observer road: every event its scheduler reports is queued and posted to
 * the service in batches, in order, at most FLUSH_AFTER_MS late. Targets go by name (the service
 * holds their specs); everything else is plain data and goes as it is.
 */
export class Outbox {
  readonly observer: SchedulerObserver;
  private queue: unknown[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly post: (message: FromWorker) => void) {
    const observer: Record<string, (a: unknown, b: unknown, c: unknown, d: unknown) => void> = {};
    for (const [code, key] of observerEvents.entries()) {
      const byName = key === 'targetAdded' || key === 'targetChanged';
      observer[key] = (a, b, c, d) => this.push(code, byName ? (a as Target).name : a, b, c, d);
    }
    this.observer = observer as SchedulerObserver;
  }

  private push(code: number, a: unknown, b: unknown, c: unknown, d: unknown): void {
    this.queue.push(code, a, b, c, d);
    if (this.queue.length >= MAX_BATCH_EVENTS * EVENT_SLOTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Posts what is queued now (before an answer that must come after the events it caused). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.post({ kind: 'events', events });
  }
}
