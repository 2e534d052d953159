import type { Socket } from 'node:net';
import { type BadRequestReason, frameLines, upperAscii } from '../protocol/line.js';
import type { Clock, Random, TimerHandle } from '../util/clock.js';
import type { EvictionReason } from '../util/connection-slots.js';

/** What the responder reports; metrics and logs subscribe. */
export interface ResponderEvents {
  connection?(remote: string): void;
  ping?(remote: string, dropped: boolean): void;
  badRequest?(reason: BadRequestReason, remote: string): void;
  /** A connection closed to make room for a new one (`remote` is the one closed). */
  evicted?(reason: EvictionReason, remote: string): void;
}

/** Limits on what one client may do; their defaults are the configuration's (responder.*). */
export interface Limits {
  readonly maxLineBytes: number;
  /** A connection that completes no line for this long is cut off (idle_timeout). */
  readonly idleTimeoutMs: number;
  /** A line must be complete this long after its first byte (line_timeout): a deadline, not an idle timer. */
  readonly lineTimeoutMs: number;
  /** A newline-less piece is answered as a message once the client has been quiet this long (0: at once). */
  readonly quietGapMs: number;
}

/** Fault injection; a running responder takes new values on reload. */
export interface Faults {
  /** Probability 0..1 that a ping gets no answer (the seed's simulated loss). */
  dropRate: number;
  delayMs: number;
  /** Uniform random extra delay 0..jitterMs on top of delayMs. */
  jitterMs: number;
}

/** A client that stops reading has its socket paused once this much reply data waits unsent. */
const WRITE_HIGH_WATER_BYTES = 64 * 1024;
/** With delay or jitter, replies wait on timers; a client flooding lines is paused at this many. */
const MAX_DELAYED_REPLIES = 1024;
const EMPTY = Buffer.alloc(0);

/** One client of the responder: frames its bytes into lines and answers each once. */
export class Connection {
  /** The line still open (no newline yet), across chunks. */
  private open: Buffer = EMPTY;
  private idleTimer: TimerHandle | undefined;
  private lineTimer: TimerHandle | undefined;
  private quietTimer: TimerHandle | undefined;
  private readonly replyTimers = new Set<TimerHandle>();
  private lastReplyAtMs = 0;

  constructor(
    private readonly socket: Socket,
    private readonly remote: string,
    private readonly events: ResponderEvents,
    private readonly faults: Faults,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly limits: Limits,
    /** Told of every complete message: the connection is not the idle one to evict. */
    private readonly progress: () => void,
  ) {}

  start(): void {
    this.armIdle();
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.socket.resume());
    this.socket.once('close', () => {
      for (const timer of [this.idleTimer, this.lineTimer, this.quietTimer, ...this.replyTimers]) this.clock.clearTimeout(timer);
      this.replyTimers.clear();
    });
  }

  /** Closed by the server (to make room, or at stop); nothing more is reported. */
  close(): void {
    this.socket.destroy();
  }

  private armIdle(): void {
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => this.cutOff('idle_timeout'), this.limits.idleTimeoutMs);
  }

  private cutOff(reason: BadRequestReason): void {
    if (this.socket.destroyed) return;
    this.events.badRequest?.(reason, this.remote);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const wasOpen = this.open.length > 0;
    const framed = frameLines(this.open, chunk, this.limits.maxLineBytes);
    if (!framed.ok) {
      this.cutOff(framed.error);
      return;
    }
    const { lines, open } = framed.value;
    this.open = open;
    this.answer(lines);
    // The deadline runs from a line's first byte; bytes that follow do not push it back.
    if (open.length === 0 || lines.length > 0 || !wasOpen) {
      this.clock.clearTimeout(this.lineTimer);
      this.lineTimer = open.length > 0 ? this.clock.setTimeout(() => this.cutOff('line_timeout'), this.limits.lineTimeoutMs) : undefined;
    }
    this.clock.clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    if (open.length === 0) return;
    if (this.limits.quietGapMs <= 0) this.answerOpen();
    else this.quietTimer = this.clock.setTimeout(() => this.answerOpen(), this.limits.quietGapMs);
  }

  /** A classic client sent one message without a newline and went quiet: answer it as it stands. */
  private answerOpen(): void {
    this.quietTimer = undefined;
    if (this.open.length === 0 || this.socket.destroyed) return;
    const message = this.open;
    this.open = EMPTY;
    this.clock.clearTimeout(this.lineTimer);
    this.lineTimer = undefined;
    this.answer([message]);
  }

  private answer(messages: readonly Buffer[]): void {
    if (messages.length === 0) return;
    this.progress();
    this.armIdle();
    const immediate: Buffer[] = [];
    for (const message of messages) {
      // Draw only when the outcome is random, so a test's injected sequence maps to pings one to one.
      const { dropRate, jitterMs, delayMs: baseDelayMs } = this.faults;
      const dropped = dropRate >= 1 || (dropRate > 0 && this.random() < dropRate);
      this.events.ping?.(this.remote, dropped);
      if (dropped) continue;
      const reply = upperAscii(message);
      const delayMs = baseDelayMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
      if (delayMs <= 0 && this.replyTimers.size === 0) immediate.push(reply);
      else this.later(reply, delayMs);
    }
    if (immediate.length > 0) this.write(immediate.length === 1 ? (immediate[0] as Buffer) : Buffer.concat(immediate));
  }

  /** Delayed replies keep their order on a connection even when jitter would reorder them. */
  private later(reply: Buffer, delayMs: number): void {
    const now = this.clock.nowMs();
    const at = Math.max(now + delayMs, this.lastReplyAtMs);
    this.lastReplyAtMs = at;
    const timer = this.clock.setTimeout(() => {
      this.replyTimers.delete(timer);
      this.write(reply);
      if (this.replyTimers.size === MAX_DELAYED_REPLIES / 2 && this.socket.writableLength <= WRITE_HIGH_WATER_BYTES) this.socket.resume();
    }, at - now);
    this.replyTimers.add(timer);
    if (this.replyTimers.size >= MAX_DELAYED_REPLIES) this.socket.pause();
  }

  private write(reply: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(reply) && this.socket.writableLength > WRITE_HIGH_WATER_BYTES) this.socket.pause();
  }
}
