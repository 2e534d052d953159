import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type Clock, type Random, systemClock } from '../util/clock.js';
import { ConnectionSlots } from '../util/connection-slots.js';
import { ListenError } from '../util/errors.js';
import { formatHostPort } from '../util/hostport.js';
import { Connection, type Faults, type Limits, type ResponderEvents } from './connection.js';

export type { Faults, Limits, ResponderEvents };

export interface ResponderOptions extends Faults, Limits {
  readonly maxConnections: number;
  /** Connections one source address may hold; its own idle ones make room for its next. */
  readonly maxConnectionsPerAddress: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly events?: ResponderEvents;
}

/**
 * The embedded ping server: answers each ping line upper-cased, drops a share of them, and cuts off
 * clients that break its limits while serving everyone else. When full it closes the connection
 * that has gone longest without a complete line, so a new ping is always answered.
 */
export class Responder {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly slots: ConnectionSlots;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly limits: Limits;
  private readonly faults: Faults;

  constructor(private readonly options: ResponderOptions) {
    this.faults = { dropRate: options.dropRate, delayMs: options.delayMs, jitterMs: options.jitterMs };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const { maxLineBytes, idleTimeoutMs, lineTimeoutMs, quietGapMs } = options;
    this.limits = { maxLineBytes, idleTimeoutMs, lineTimeoutMs, quietGapMs };
    this.slots = new ConnectionSlots({ maxConnections: options.maxConnections, maxPerAddress: options.maxConnectionsPerAddress });
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
    const host = socket.remoteAddress ?? '?';
    const remote = formatHostPort({ host, port: socket.remotePort ?? 0 });
    socket.on('error', () => {}); // a client's RST is its business; nothing to report
    const events = this.options.events ?? {};
    let connection: Connection | undefined;
    const admitted = this.slots.admit(host, (reason) => {
      events.evicted?.(reason, remote);
      connection?.close();
    });
    if ('refused' in admitted) {
      // Only when every slot is busy, which responder connections never are; kept for safety.
      events.evicted?.(admitted.refused, remote);
      socket.resetAndDestroy();
      return;
    }
    const { slot } = admitted;
    this.sockets.add(socket);
    events.connection?.(remote);
    connection = new Connection(socket, remote, events, this.faults, this.clock, this.random, this.limits, () => this.slots.progress(slot));
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.slots.release(slot);
    });
    connection.start();
  }
}
