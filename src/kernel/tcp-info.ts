import { libc } from './libc.js';
import { IPPROTO_TCP, TCP_INFO } from './linux.js';

/**
 * What the kernel recorded about one TCP socket (struct tcp_info, include/uapi/linux/tcp.h), the
 * fields tcpping reads. The kernel fills in as many bytes as it knows (232 on 6.1, 248 from 6.7,
 * more later) and says how many: fields past that length are undefined, never guessed.
 */
export interface TcpInfo {
  readonly state: number;
  /** Consecutive retransmission timeouts of the current episode; 0 again once an ACK ends it. */
  readonly retransmits: number;
  readonly backoff: number;
  /** µs. */
  readonly rto: number;
  /** Ages in ms, counted in jiffies (steps of 1000/HZ ms: 4 ms at HZ=250): since data was sent, data came in, an ACK came in. */
  readonly lastDataSentMs: number;
  readonly lastDataRecvMs: number;
  readonly lastAckRecvMs: number;
  /** Smoothed RTT in µs; right after the handshake it is the first sample, SYN → SYN-ACK. 0: no sample yet. */
  readonly rttUs: number;
  readonly rttVarUs: number;
  /** Segments retransmitted over the connection's life, SYNs included. */
  readonly totalRetrans: number;
  readonly segsOut: number | undefined;
  readonly segsIn: number | undefined;
  /** µs; 0xffffffff without a sample. */
  readonly minRttUs: number | undefined;
  /** Linux ≥ 6.7: retransmission timeouts over the connection's life, SYN timeouts included. */
  readonly totalRto: number | undefined;
}

/** The kernel's first 104 bytes hold everything up to tcpi_total_retrans (Linux ≥ 2.6.x). */
export const TCP_INFO_MIN_BYTES = 104;

/** Decodes the bytes getsockopt(TCP_INFO) wrote (`length` of them); undefined when too short. Pure. */
export function decodeTcpInfo(bytes: Uint8Array, length: number): TcpInfo | undefined {
  if (length < TCP_INFO_MIN_BYTES || bytes.length < length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const u32 = (at: number) => view.getUint32(at, true);
  const optional = (at: number, size: 2 | 4) => (length >= at + size ? (size === 2 ? view.getUint16(at, true) : u32(at)) : undefined);
  return {
    state: view.getUint8(0),
    retransmits: view.getUint8(2),
    backoff: view.getUint8(4),
    rto: u32(8),
    lastDataSentMs: u32(44),
    lastDataRecvMs: u32(52),
    lastAckRecvMs: u32(56),
    rttUs: u32(68),
    rttVarUs: u32(72),
    totalRetrans: u32(100),
    segsOut: optional(136, 4),
    segsIn: optional(140, 4),
    minRttUs: optional(148, 4),
    totalRto: optional(240, 2),
  };
}

const INFO_BYTES = 512;
const infoBuffer = Buffer.alloc(INFO_BYTES);
const lengthBuffer = Buffer.alloc(4);

/** The bytes getsockopt(fd, IPPROTO_TCP, TCP_INFO) wrote, valid until the next call; undefined on error or without the kernel views. */
export function readTcpInfoBytes(fd: number): Uint8Array | undefined {
  const c = libc();
  if (!c) return undefined;
  lengthBuffer.writeUInt32LE(INFO_BYTES, 0);
  if (c.getsockopt(fd, IPPROTO_TCP, TCP_INFO, infoBuffer, lengthBuffer) !== 0) return undefined;
  return infoBuffer.subarray(0, Math.min(lengthBuffer.readUInt32LE(0), INFO_BYTES));
}

/** TCP_INFO, decoded: about 2 µs. */
export function readTcpInfo(fd: number): TcpInfo | undefined {
  const bytes = readTcpInfoBytes(fd);
  return bytes && decodeTcpInfo(bytes, bytes.length);
}
