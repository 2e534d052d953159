import { formatIPv4, formatIPv6 } from '../util/ip.js';
import { libc, type Scratch } from './libc.js';
import {
  AF_INET,
  AF_INET6,
  IP_RECVERR,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  MSG_DONTWAIT,
  MSG_ERRQUEUE,
  SCM_TIMESTAMPING,
  SOL_SOCKET,
} from './linux.js';

/**
 * One entry of a socket's error queue: struct sock_extended_err, the host that sent the error
 * (SO_EE_OFFENDER), where the failed packet was going (msg_name) and the start of the TCP header
 * the error quoted. With IP_RECVERR / IPV6_RECVERR on, the kernel queues an ICMP error here only
 * after matching it to the socket and checking the quoted sequence number against the window:
 * a forged error for a guessed port never gets here.
 */
export interface QueuedError {
  /** Positive errno the error stands for (EHOSTUNREACH, ECONNREFUSED, EACCES, ...). */
  readonly errno: number;
  /** SO_EE_ORIGIN_ICMP (2), SO_EE_ORIGIN_ICMP6 (3), or another origin (local, timestamping). */
  readonly origin: number;
  readonly type: number;
  readonly code: number;
  readonly info: number;
  readonly offender: string | undefined;
  readonly destination: string | undefined;
  readonly destinationPort: number | undefined;
  readonly quotedSourcePort: number | undefined;
  readonly quotedSeq: number | undefined;
  /**
   * When the error arrived, in ns of CLOCK_REALTIME (the software stamp of SCM_TIMESTAMPING), on a
   * socket with SO_TIMESTAMPING (RX_SOFTWARE | SOFTWARE) on. The kernel stamps packets on arrival
   * only while some socket of the host wants it (see holdReceiveTimestamps); an error that came in
   * unstamped has none here, rather than the time it was read.
   */
  readonly receivedAtNs?: bigint;
}

/** A struct sockaddr_in / sockaddr_in6 in `bytes` (`length` of them), as text and port. Pure. */
export function decodeSockaddr(bytes: Uint8Array, length: number): { address?: string; port?: number } {
  if (length < 2) return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, Math.min(length, bytes.length));
  const family = view.getUint16(0, true);
  if (family === AF_INET && length >= 8) return { address: formatIPv4(bytes, 4), port: view.getUint16(2, false) };
  if (family === AF_INET6 && length >= 24) return { address: formatIPv6(bytes, 8), port: view.getUint16(2, false) };
  return {};
}

/**
 * Decodes what recvmsg(MSG_ERRQUEUE) returned: the control messages (`control`), msg_name
 * (`name`) and the payload (`data`, the quoted TCP header). Undefined when no IP_RECVERR /
 * IPV6_RECVERR control message is there. Pure, so recorded bytes can be fed to it.
 */
export function decodeErrorMessage(control: Uint8Array, name: Uint8Array, data: Uint8Array): QueuedError | undefined {
  const view = new DataView(control.buffer, control.byteOffset, control.length);
  const destination = decodeSockaddr(name, name.length);
  const payload = new DataView(data.buffer, data.byteOffset, data.length);
  let error: Omit<QueuedError, 'receivedAtNs'> | undefined;
  let receivedAtNs: bigint | undefined;
  for (let at = 0; at + 16 <= control.length; ) {
    // struct cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type, then the data (aligned to 8).
    const length = Number(view.getBigUint64(at, true));
    if (length < 16 || at + length > control.length) break;
    const level = view.getInt32(at + 8, true);
    const type = view.getInt32(at + 12, true);
    if (level === SOL_SOCKET && type === SCM_TIMESTAMPING && length >= 64) {
      // struct scm_timestamping: three timespecs, the first the software stamp (zero when there is none).
      const stamp = view.getBigInt64(at + 16, true) * 1_000_000_000n + view.getBigInt64(at + 24, true);
      if (stamp > 0n) receivedAtNs = stamp;
    } else if ((level === IPPROTO_IP && type === IP_RECVERR) || (level === IPPROTO_IPV6 && type === IPV6_RECVERR)) {
      if (length < 32) return undefined;
      const ee = at + 16;
      const offender = decodeSockaddr(control.subarray(ee + 16, at + length), length - 32);
      error = {
        errno: view.getUint32(ee, true),
        origin: view.getUint8(ee + 4),
        type: view.getUint8(ee + 5),
        code: view.getUint8(ee + 6),
        info: view.getUint32(ee + 8, true),
        offender: offender.address,
        destination: destination.address,
        destinationPort: destination.port,
        quotedSourcePort: data.length >= 2 ? payload.getUint16(0, false) : undefined,
        quotedSeq: data.length >= 8 ? payload.getUint32(4, false) : undefined,
      };
    }
    at += (length + 7) & ~7;
  }
  if (!error) return undefined;
  return receivedAtNs === undefined ? error : { ...error, receivedAtNs };
}

// The scratch block handed to recvmsg: msghdr, iovec, msg_name, payload, control messages.
const MSGHDR = 0; // 56 bytes on 64-bit Linux
const IOVEC = 64; // 16 bytes
const NAME = 128; // room for a sockaddr_in6 (28)
const NAME_BYTES = 28;
const DATA = 192;
const DATA_BYTES = 64;
const CONTROL = 256;
const CONTROL_BYTES = 512;
let scratch: Scratch | undefined;

/** What one recvmsg(MSG_ERRQUEUE) returned, as bytes: control messages, msg_name, payload. */
export interface ErrorMessageBytes {
  readonly control: Uint8Array;
  readonly name: Uint8Array;
  readonly data: Uint8Array;
}

/**
 * Takes up to `max` entries off the socket's error queue (recvmsg MSG_ERRQUEUE, non-blocking).
 * Taking the last ICMP entry also clears the socket's pending error, so on a socket libuv is still
 * connecting call it only where the connect has already failed ('connectionAttemptFailed') or the
 * socket is destroyed in the same turn.
 */
export function readErrorQueue(fd: number, max = 4): QueuedError[] {
  return readErrorMessages(fd, max)
    .map((m) => decodeErrorMessage(m.control, m.name, m.data))
    .filter((e) => e !== undefined);
}

/** The error queue's entries as bytes (see readErrorQueue for when it may be read). */
export function readErrorMessages(fd: number, max = 4): ErrorMessageBytes[] {
  const c = libc();
  const out: ErrorMessageBytes[] = [];
  if (!c) return out;
  scratch ??= c.scratch(CONTROL + CONTROL_BYTES);
  const { view, bytes, address, pointer } = scratch;
  for (let i = 0; i < max; i++) {
    view.setBigUint64(MSGHDR, address + BigInt(NAME), true); // msg_name
    view.setUint32(MSGHDR + 8, NAME_BYTES, true); // msg_namelen
    view.setBigUint64(MSGHDR + 16, address + BigInt(IOVEC), true); // msg_iov
    view.setBigUint64(MSGHDR + 24, 1n, true); // msg_iovlen
    view.setBigUint64(MSGHDR + 32, address + BigInt(CONTROL), true); // msg_control
    view.setBigUint64(MSGHDR + 40, BigInt(CONTROL_BYTES), true); // msg_controllen
    view.setInt32(MSGHDR + 48, 0, true); // msg_flags
    view.setBigUint64(IOVEC, address + BigInt(DATA), true);
    view.setBigUint64(IOVEC + 8, BigInt(DATA_BYTES), true);
    const got = c.recvmsg(fd, pointer, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (got < 0) break; // EAGAIN: the queue is empty
    const nameLength = Math.min(view.getUint32(MSGHDR + 8, true), NAME_BYTES);
    const controlLength = Math.min(Number(view.getBigUint64(MSGHDR + 40, true)), CONTROL_BYTES);
    out.push({
      control: bytes.slice(CONTROL, CONTROL + controlLength),
      name: bytes.slice(NAME, NAME + nameLength),
      data: bytes.slice(DATA, DATA + Math.min(got, DATA_BYTES)),
    });
  }
  return out;
}
