import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type BadRequestReason, frameMessages, upperAscii } from '../protocol/line.js';
import { type Clock, type Random, systemClock } from '../util/clock.js';
import { ListenError } from '../util/errors.js';
import { formatHostPort } from '../util/hostport.js';

/** Limits on what one client may do; their defaults are the configuration's (responder.*). */
export interface Limits {
  readonly maxLineBytes: number;
  /** A connection that sends nothing for this long is cut off. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export interface ResponderOptions extends Faults, Limits {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly events?: ResponderEvents;
}

/** What the responder reports; metrics and logs subscribe. */
export interface ResponderEvents {
  connection?(remote: string): void;
  ping?(remote: string, dropped: boolean): void;
  badRequest?(reason: BadRequestReason, remote: string): void;
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

/**
 * The embedded ping server: answers each ping line upper-cased, drops a share of them, and cuts off
 * clients that break its limits while serving everyone else.
 */
export class Responder {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly limits: Limits;
  private readonly faults: Faults;

  constructor(private readonly options: ResponderOptions) {
    this.faults = { dropRate: options.dropRate, delayMs: options.delayMs, jitterMs: options.jitterMs };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const { maxLineBytes, idleTimeoutMs, maxConnections } = options;
    this.limits = { maxLineBytes, idleTimeoutMs, maxConnections };
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    // Accept errors (EMFILE and the like) must not take the process down; the next accept retries.
    this.server.on('error', () => {});
  }

  /** New fault settings apply to the next ping on every connection. */
  setFaults(faults: Partial<Faults>): void {
    Object.assign(this.faults, faults);
  }

  get activeConnections(): number {
    return this.sockets.size;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    const where = formatHostPort({ host, port });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new ListenError('the ping responder', where, error));
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await closed;
  }

  private accept(socket: Socket): void {
    const remote = formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    socket.on('error', () => {}); // a client's RST is its business; nothing to report
    if (this.sockets.size >= this.limits.maxConnections) {
      this.options.events?.badRequest?.('too_many_connections', remote);
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    this.options.events?.connection?.(remote);
    new Connection(socket, remote, this.options.events ?? {}, this.faults, this.clock, this.random, this.limits).start();
    socket.once('close', () => this.sockets.delete(socket));
  }
}

class Connection {
  /** Bytes of the line still open (no newline yet), across chunks. */
  private lineBytes = 0;
  private idleTimer;
  private readonly replyTimers = new Set<ReturnType<Clock['setTimeout']>>();
  private lastReplyAtMs = 0;

  constructor(
    private readonly socket: Socket,
    private readonly remote: string,
    private readonly events: ResponderEvents,
    private readonly faults: Faults,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly limits: Limits,
  ) {
    this.idleTimer = this.armIdle();
  }

  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.socket.resume());
    this.socket.once('close', () => {
      this.clock.clearTimeout(this.idleTimer);
      for (const timer of this.replyTimers) this.clock.clearTimeout(timer);
      this.replyTimers.clear();
    });
  }

  private armIdle() {
    return this.clock.setTimeout(() => this.cutOff('idle_timeout'), this.limits.idleTimeoutMs);
  }

  private cutOff(reason: BadRequestReason): void {
    if (this.socket.destroyed) return;
    this.events.badRequest?.(reason, this.remote);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.armIdle();
    const framed = frameMessages(chunk, this.lineBytes, this.limits.maxLineBytes);
    if (!framed.ok) {
      this.cutOff(framed.error);
      return;
    }
    this.lineBytes = framed.value.lineBytes;
    const immediate: Buffer[] = [];
    for (const message of framed.value.messages) {
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
