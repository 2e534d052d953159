import { connect, isIP, type NetConnectOpts, Socket } from 'node:net';
import { type QueuedError, readErrorQueue } from './error-queue.js';
import { libc, libcUnavailable } from './libc.js';
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6 } from './linux.js';
import { bytesWaiting, closeFd, openTcpSocket, setReceiveErrors, takeSocketError } from './sockopt.js';
import { readTcpInfo, type TcpInfo } from './tcp-info.js';

/**
 * What the kernel recorded about a node:net socket, asked by socket. Each answer is undefined (or
 * empty) when the kernel cannot be asked: no fd yet, or the socket already closed.
 */
export interface SocketKernel {
  tcpInfo(socket: Socket): TcpInfo | undefined;
  /**
   * The ICMP errors the kernel accepted for this socket, off its error queue. Only where the
   * connect has failed ('connectionAttemptFailed') or the socket is destroyed in the same turn.
   */
  icmpErrors(socket: Socket): QueuedError[];
  /** The socket's pending error (SO_ERROR, which reading clears); only on an established socket. */
  takeError(socket: Socket): number | undefined;
  /** Bytes that arrived and wait for Node to read them. */
  bytesWaiting(socket: Socket): number | undefined;
}

/** socket._handle.fd: the descriptor libuv uses (none before the connect is issued, nor after close). */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const ask =
  <T>(read: (fd: number) => T, none: T) =>
  (socket: Socket): T => {
    const fd = socketFd(socket);
    return fd === undefined ? none : read(fd);
  };

const isIcmp = (e: QueuedError) => e.origin === SO_EE_ORIGIN_ICMP || e.origin === SO_EE_ORIGIN_ICMP6;

export const linuxSocketKernel: SocketKernel = {
  tcpInfo: ask(readTcpInfo, undefined),
  icmpErrors: ask((fd) => readErrorQueue(fd).filter(isIcmp), []),
  takeError: ask(takeSocketError, undefined),
  bytesWaiting: ask(bytesWaiting, undefined),
};

/**
 * A socket factory like node:net's `connect`, whose socket reports ICMP errors at once: the fd is
 * ours (socket(2) through koffi) with IP_RECVERR / IPV6_RECVERR set before connect(2), then handed
 * to a net.Socket, which owns and closes it from then on. The connect must be issued in the same
 * turn: a net.Socket made from an fd starts reading it at once, and reading an unconnected socket
 * fails (ENOTCONN), after which connect() would silently open a new fd without the option. Names
 * (not addresses) and failures fall back to a plain connect.
 */
export function connectWithErrorQueue(options: NetConnectOpts): Socket {
  const host = 'host' in options ? options.host : undefined;
  const family = isIP(host ?? '');
  if ('path' in options || (family !== 4 && family !== 6)) return connect(options);
  const fd = openTcpSocket(family);
  if (fd === undefined) return connect(options);
  if (!setReceiveErrors(fd, family, true)) {
    closeFd(fd);
    return connect(options);
  }
  const socket = new Socket({ fd });
  if ('noDelay' in options && options.noDelay) socket.setNoDelay(true);
  return socket.connect(options);
}

/** The kernel views of sockets, with their socket factory; or why they are unavailable (userland timing then). */
export function kernelSockets(): { kernel: SocketKernel; connect: typeof connectWithErrorQueue } | { unavailable: string } {
  const reason = libcUnavailable();
  if (reason !== undefined || !libc()) return { unavailable: reason ?? 'unknown' };
  return { kernel: linuxSocketKernel, connect: connectWithErrorQueue };
}
