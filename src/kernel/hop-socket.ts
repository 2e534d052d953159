import { readFileSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { err, ok, type Result } from '../util/result.js';
import { libc } from './libc.js';
import {
  AF_INET,
  AF_INET6,
  CLOCK_REALTIME,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  SO_REUSEADDR,
  SO_TIMESTAMPING,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOF_TIMESTAMPING_RX_SOFTWARE,
  SOF_TIMESTAMPING_SOFTWARE,
  SOL_SOCKET,
} from './linux.js';
import { closeFd, openTcpSocket, setIntOption, setReceiveErrors } from './sockopt.js';

/** Software receive stamps, reported only for packets stamped on arrival. */
const RX_STAMPS = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

/** errno's name (EADDRINUSE, ...) of the last libc call that failed. */
function lastError(): string {
  const errno = libc()?.errno() ?? 0;
  try {
    return errno > 0 ? getSystemErrorName(-errno) : 'unknown error';
  } catch {
    return `errno ${errno}`;
  }
}

/** struct sockaddr_in / sockaddr_in6 for the wildcard address and `port`. */
function wildcard(family: 4 | 6, port: number): Buffer {
  const address = Buffer.alloc(family === 4 ? 16 : 28);
  address.writeUInt16LE(family === 4 ? AF_INET : AF_INET6, 0);
  address.writeUInt16BE(port, 2);
  return address;
}

/**
 * A TCP socket for one probe of a trace: its SYN may cross at most `hops` routers (IP_TTL /
 * IPV6_UNICAST_HOPS), the ICMP error of the router where it expires is queued on the socket's
 * error queue with its sender and arrival time (IP_RECVERR / IPV6_RECVERR, SO_TIMESTAMPING), and it
 * leaves from `sourcePort`. Every probe of a trace binds the same port (SO_REUSEADDR: the last
 * probe's socket, closed in SYN_SENT or by a reset, left no TIME_WAIT), so the five-tuple never
 * changes and equal-cost multipath hashing sends every probe down one path. The fd is handed to a
 * net.Socket, which must connect it in the same turn (see connectWithErrorQueue); the error is the
 * errno's name.
 */
export function openHopSocket(family: 4 | 6, hops: number, sourcePort: number): Result<number, string> {
  const fd = openTcpSocket(family);
  if (fd === undefined) return err(libc() ? lastError() : 'no kernel bindings');
  const c = libc();
  const steps: (() => boolean)[] = [
    () => setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1),
    () => {
      const address = wildcard(family, sourcePort);
      return c?.bind(fd, address, address.length) === 0;
    },
    () => (family === 4 ? setIntOption(fd, IPPROTO_IP, IP_TTL, hops) : setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops)),
    () => setReceiveErrors(fd, family, true),
    () => setIntOption(fd, SOL_SOCKET, SO_TIMESTAMPING, RX_STAMPS),
  ];
  for (const step of steps) {
    if (step()) continue;
    const reason = lastError();
    closeFd(fd);
    return err(reason);
  }
  return ok(fd);
}

const timespec = Buffer.alloc(16);

/** CLOCK_REALTIME in ns, the clock of software receive stamps; undefined without the kernel bindings. */
export function realtimeNs(): bigint | undefined {
  if (libc()?.clockGettime(CLOCK_REALTIME, timespec) !== 0) return undefined;
  return timespec.readBigInt64LE(0) * 1_000_000_000n + timespec.readBigInt64LE(8);
}

let holders = 0;
let holderFd: number | undefined;

/**
 * Keeps receive timestamps on, host-wide, until the returned function is called. The kernel stamps
 * arriving packets only while some socket wants it, and switches that on and off in a work queue,
 * a little later: with only the probes' own sockets wanting it, it would go off and on between
 * them and a fast answer (hop 1, in a tenth of a millisecond) would come in unstamped, timed in
 * userland then. One quiet UDP socket wanting stamps, held while traces may run, keeps it on; the
 * cost is a clock read per packet the host receives.
 */
export function holdReceiveTimestamps(): () => void {
  const c = libc();
  if (holders === 0 && c) {
    const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && setIntOption(fd, SOL_SOCKET, SO_TIMESTAMPING, RX_STAMPS)) holderFd = fd;
    else if (fd >= 0) c.close(fd);
  }
  holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders--;
    if (holders === 0 && holderFd !== undefined) {
      closeFd(holderFd);
      holderFd = undefined;
    }
  };
}

/**
 * The ports the kernel hands out to connect(2) without a bind (net.ipv4.ip_local_port_range,
 * which covers IPv6 too, per network namespace); undefined where it cannot be read.
 */
export function ephemeralPortRange(): readonly [low: number, high: number] | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && low > 0 && high >= low ? [low, high] : undefined;
  } catch {
    return undefined;
  }
}
