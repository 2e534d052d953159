import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { WebFile } from '../config/web-file.js';
import { ConnectionSlots, type EvictionReason, type Slot } from '../util/connection-slots.js';
import { ListenError } from '../util/errors.js';
import { formatHostPort } from '../util/hostport.js';
import { clientCertProblem } from './client-cert.js';

/** The HTTP server's limits (web.*): a slow or idle client holds a connection for a bounded time. */
export interface WebLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export interface ListenOptions {
  readonly limits: WebLimits;
  /** The web config in force (TLS and client certificates); asked for each new connection. */
  readonly web?: () => WebFile;
  readonly tls?: boolean;
  readonly onEvicted?: (reason: EvictionReason) => void;
}

/** Enough for any browser or scraper; Node's default of 2,000 lets one request cost far more. */
const MAX_HEADERS = 100;

/**
 * Listens over HTTP, or HTTPS when the web config has TLS, with a connection cap (the idle
 * connection that waited longest makes room for a new one) and timeouts. A busy or forbidden
 * address becomes a ListenError that names it.
 */
export async function listenHttp(app: RequestListener, host: string, port: number, options: ListenOptions): Promise<Server> {
  const { limits, web } = options;
  const tlsAtStart = options.tls && web ? web().tls : null;
  const server = tlsAtStart
    ? createHttpsServer({ ...tlsAtStart.context, handshakeTimeout: limits.headersTimeoutMs, maxHeaderSize: 16 * 1024 }, app)
    : createHttpServer({ maxHeaderSize: 16 * 1024 }, app);
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxHeadersCount = MAX_HEADERS;
  // Node times out only connections that started a request; one that never sends a byte would stay.
  server.timeout = limits.headersTimeoutMs;
  trackConnections(server, limits.maxConnections, options.onEvicted);
  if (tlsAtStart && web) followTls(server as Server & TlsServerLike, web);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new ListenError('HTTP', formatHostPort({ host, port }), error));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => {});
  return server;
}

type TlsServerLike = { setSecureContext(options: object): void };

/**
 * New connections get the TLS settings in force: before the server wraps a new TCP connection (its
 * own 'connection' listener runs after this prepended one) the web config is checked, and a
 * changed certificate or policy replaces the server's context. Client certificates are then held
 * to the policy that node:tls alone cannot express (RequireAnyClientCert, allowed SANs).
 */
function followTls(server: Server & TlsServerLike, web: () => WebFile): void {
  let current = web().tls;
  server.prependListener('connection', () => {
    const tls = web().tls;
    if (tls && tls !== current) {
      server.setSecureContext(tls.context);
      current = tls;
    }
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const problem = current ? clientCertProblem(socket, current) : null;
    if (problem) socket.destroy();
  });
}

/** Per connection: its slot, found again from a request by the remote address and port. */
function trackConnections(server: Server, maxConnections: number, onEvicted?: (reason: EvictionReason) => void): void {
  const slots = new ConnectionSlots({ maxConnections, maxPerAddress: Number.POSITIVE_INFINITY });
  const byRemote = new Map<string, Slot>();
  const key = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  server.on('connection', (socket: Socket) => {
    const admitted = slots.admit(socket.remoteAddress ?? '?', (reason) => {
      onEvicted?.(reason);
      socket.destroy();
    });
    if ('refused' in admitted) {
      onEvicted?.(admitted.refused);
      socket.destroy();
      return;
    }
    const id = key(socket);
    byRemote.set(id, admitted.slot);
    socket.once('close', () => {
      slots.release(admitted.slot);
      byRemote.delete(id);
    });
  });
  server.on('request', (req, res) => {
    const slot = byRemote.get(key(req.socket));
    if (!slot) return;
    slot.busy = true;
    res.once('close', () => {
      slot.busy = false;
      slots.progress(slot);
    });
  });
}

export async function closeHttp(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
