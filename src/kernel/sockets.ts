import { connect, isIP, type NetConnectOpts, Socket, type SocketConstructorOpts } from 'node:net';
import type { BareSocket } from './bare-tcp.js';
import { type QueuedError, readErrorQueue } from './error-queue.js';
import { libc, libcUnavailable } from './libc.js';
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6 } from './linux.js';
import { bytesWaiting, openTcp6ReceivingErrors, setReceiveErrors, takeSocketError } from './sockopt.js';
import { readTcpInfo, type TcpInfo } from './tcp-info.js';

/** What the kernel views ask: a node:net Socket or a BareHandshake, either keeping libuv's handle in `_handle`. */
export type KernelSocket = Socket | BareSocket;

/**
 * What the kernel recorded about a socket, asked by socket. Each answer is undefined (or
 * empty) when the kernel cannot be asked: no fd yet, or the socket already closed.
 */
export interface SocketKernel {
  tcpInfo(socket: KernelSocket): TcpInfo | undefined;
  /**
   * The ICMP errors the kernel accepted for this socket, off its error queue. Only where the
   * connect has failed ('connectionAttemptFailed') or the socket is destroyed in the same turn.
   */
  icmpErrors(socket: KernelSocket): QueuedError[];
  /**
   * From now on an ICMP error the kernel accepts for this established socket fails it at once
   * (IP_RECVERR / IPV6_RECVERR), where it would otherwise only be noted until a timeout.
   */
  reportErrors(socket: KernelSocket): void;
  /**
   * The pending error of a socket that reports errors (SO_ERROR, which reading clears): one that
   * came while a system call held the socket is only noted there. Only on an established socket.
   */
  takeError(socket: KernelSocket): number | undefined;
  /** Bytes that arrived and wait for Node to read them. */
  bytesWaiting(socket: KernelSocket): number | undefined;
}

/** socket._handle.fd: the descriptor libuv uses (none before the connect is issued, nor after close). */
export function socketFd(socket: KernelSocket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const ask =
  <T>(read: (fd: number) => T, none: T) =>
  (socket: KernelSocket): T => {
    const fd = socketFd(socket);
    return fd === undefined ? none : read(fd);
  };

const isIcmp = (e: QueuedError) => e.origin === SO_EE_ORIGIN_ICMP || e.origin === SO_EE_ORIGIN_ICMP6;

/** Sockets with IP_RECVERR / IPV6_RECVERR on: only theirs SO_ERROR is ours to read. */
const reporting = new WeakSet<KernelSocket>();

export const linuxSocketKernel: SocketKernel = {
  tcpInfo: ask(readTcpInfo, undefined),
  icmpErrors: ask((fd) => readErrorQueue(fd).filter(isIcmp), []),
  reportErrors: (socket) => {
    const fd = socketFd(socket);
    if (reporting.has(socket) || fd === undefined) return;
    if (setReceiveErrors(fd, socket.remoteFamily === 'IPv6' ? 6 : 4, true)) reporting.add(socket);
  },
  takeError: (socket) => (reporting.has(socket) ? ask(takeSocketError, undefined)(socket) : undefined),
  bytesWaiting: ask(bytesWaiting, undefined),
};

/**
 * A socket factory like node:net's `connect`, whose sockets report the handshake's ICMP errors at
 * once, with their type and code on the error queue. IPv6 needs IPV6_RECVERR before connect(2):
 * without it the kernel only notes an error that comes while connect holds the socket and waits
 * for the next SYN, a second later. So the fd is ours (socket(2) through koffi, the option set),
 * then handed to a net.Socket, which owns and closes it from then on; the connect must be issued
 * in the same turn, since a net.Socket made from an fd starts reading it at once and reading an
 * unconnected socket fails (ENOTCONN), after which connect() would silently open a new fd without
 * the option. IPv4 needs none of it: the kernel queues a SYN's ICMP error and fails the connect at
 * once on any socket, so node:net's own path, about 18 µs a ping cheaper, is taken. Names and
 * failures fall back to it too.
 */
export function connectWithErrorQueue(options: NetConnectOpts): Socket {
  const host = 'host' in options ? options.host : undefined;
  if ('path' in options || isIP(host ?? '') !== 6) return connect(options);
  const fd = openTcp6ReceivingErrors();
  if (fd === undefined) return connect(options);
  // Where it reads to (echo mode's shared buffer) is the constructor's option, as node:net's
  // connect() passes it; the type declarations leave it out.
  const onread = 'onread' in options ? options.onread : undefined;
  const socket = new Socket(onread ? ({ fd, onread } as SocketConstructorOpts) : { fd });
  reporting.add(socket);
  if ('noDelay' in options && options.noDelay) socket.setNoDelay(true);
  return socket.connect(options);
}

/** The kernel views of sockets, with their socket factory; or why they are unavailable (userland timing then). */
export function kernelSockets(): { kernel: SocketKernel; connect: typeof connectWithErrorQueue } | { unavailable: string } {
  const reason = libcUnavailable();
  if (reason !== undefined || !libc()) return { unavailable: reason ?? 'unknown' };
  return { kernel: linuxSocketKernel, connect: connectWithErrorQueue };
}
