import type { Clock } from '../util/clock.js';

/**
 * At most `perMinute` starts a minute, in bursts of up to `perMinute`: a token bucket that holds
 * that many and refills continuously. On the injected clock, so a test runs an hour in a blink.
 */
export class TokenBucket {
  private tokens: number;
  private atMs: number;

  constructor(
    private readonly clock: Clock,
    private perMinute: number,
  ) {
    this.tokens = perMinute;
    this.atMs = clock.nowMs();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token (0 when there is one now). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.perMinute);
  }

  /** A new rate; the bucket keeps what it holds, up to the new size. */
  setRate(perMinute: number): void {
    this.refill();
    this.perMinute = perMinute;
    this.tokens = Math.min(this.tokens, perMinute);
  }

  private refill(): void {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.atMs) * this.perMinute) / 60_000);
    this.atMs = now;
  }
}
