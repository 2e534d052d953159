import { libc } from './libc.js';
import {
  AF_INET,
  AF_INET6,
  IP_RECVERR,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  SIOCINQ,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './linux.js';

// One buffer each: the calls are synchronous and JavaScript runs one at a time.
const intBuffer = Buffer.alloc(4);
const lengthBuffer = Buffer.alloc(4);

/** getsockopt for an int option (IP_TTL, IPV6_UNICAST_HOPS, ...); undefined on error or without the kernel views. */
export function getIntOption(fd: number, level: number, name: number): number | undefined {
  const c = libc();
  if (!c) return undefined;
  lengthBuffer.writeUInt32LE(4, 0);
  if (c.getsockopt(fd, level, name, intBuffer, lengthBuffer) !== 0) return undefined;
  return intBuffer.readInt32LE(0);
}

/** setsockopt for an int option; false on error or without the kernel views. */
export function setIntOption(fd: number, level: number, name: number, value: number): boolean {
  const c = libc();
  if (!c) return false;
  intBuffer.writeInt32LE(value, 0);
  return c.setsockopt(fd, level, name, intBuffer, 4) === 0;
}

/**
 * IP_RECVERR / IPV6_RECVERR: the kernel queues each ICMP error it accepts for the socket on the
 * socket's error queue (type, code, who sent it) and reports it at once. Without it an IPv6
 * error that arrives while connect(2) holds the socket is only noted, and the connect waits for
 * the next SYN, a second later. Turning it off empties the queue.
 */
export function setReceiveErrors(fd: number, family: 4 | 6, on: boolean): boolean {
  return family === 4 ? setIntOption(fd, IPPROTO_IP, IP_RECVERR, on ? 1 : 0) : setIntOption(fd, IPPROTO_IPV6, IPV6_RECVERR, on ? 1 : 0);
}

/**
 * SO_ERROR: the socket's pending error as a positive errno (0: none). READING CLEARS IT. Never on
 * a socket libuv is still connecting, unless it is destroyed in the same turn: libuv reads
 * SO_ERROR itself when the connect completes, and a cleared error looks like a connect that worked.
 */
export function takeSocketError(fd: number): number | undefined {
  return getIntOption(fd, SOL_SOCKET, SO_ERROR);
}

/** ioctl(SIOCINQ): bytes that arrived and wait to be read. */
export function bytesWaiting(fd: number): number | undefined {
  const c = libc();
  if (!c) return undefined;
  return c.ioctl(fd, SIOCINQ, intBuffer) === 0 ? intBuffer.readInt32LE(0) : undefined;
}

/** socket(2) for a TCP socket of our own: non-blocking, close-on-exec, ready for options that must come before connect(2). */
export function openTcpSocket(family: 4 | 6): number | undefined {
  const c = libc();
  if (!c) return undefined;
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd >= 0 ? fd : undefined;
}

/**
 * An IPv6 TCP socket of our own with IPV6_RECVERR set before connect(2), for a handle or a
 * net.Socket to take over (connectWithErrorQueue in sockets.ts says why); undefined, and nothing
 * left open, when either step fails.
 */
export function openTcp6ReceivingErrors(): number | undefined {
  const fd = openTcpSocket(6);
  if (fd === undefined || setReceiveErrors(fd, 6, true)) return fd;
  closeFd(fd);
  return undefined;
}

/** close(2), for an fd no net.Socket has taken over. */
export function closeFd(fd: number): void {
  libc()?.close(fd);
}
