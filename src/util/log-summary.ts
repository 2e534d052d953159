import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

/**
 * Rate-limited logging of events an attacker can cause at will (clients cut off, connections
 * evicted) or that come by the thousand when the process falls behind (rounds skipped): the first `perInterval` events of an interval are logged one by one, the rest are
 * counted by kind and logged as one summary line when the interval ends. A flood of thousands of
 * cut-off clients then costs a few lines, not megabytes.
 */
export class LogSummary {
  private logged = 0;
  private readonly suppressed = new Map<string, number>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly message: string,
    private readonly intervalMs = 10_000,
    private readonly perInterval = 5,
    /** The level of the lines logged one by one (the summary is a warning). */
    private readonly level: 'info' | 'warn' = 'info',
  ) {}

  event(kind: string, fields: Record<string, unknown>): void {
    if (this.timer === undefined) this.timer = this.clock.setTimeout(() => this.flush(), this.intervalMs);
    if (this.logged < this.perInterval) {
      this.logged++;
      this.log[this.level]({ ...fields, reason: kind }, this.message);
      return;
    }
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
  }

  /** Logs what was held back; also called at stop, so nothing counted is lost. */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.logged = 0;
    if (this.suppressed.size === 0) return;
    const counts = Object.fromEntries(this.suppressed);
    const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed.clear();
    this.log.warn(
      { suppressed: counts, intervalMs: this.intervalMs },
      `${this.message}: ${total} more in the last ${this.intervalMs / 1000} s`,
    );
  }
}
