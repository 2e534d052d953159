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

/** Little-endian fields read straight from the bytes: no DataView, no closure per decode (one per ping). */
const u8 = (bytes: Uint8Array, at: number) => bytes[at] as number;
const u16 = (bytes: Uint8Array, at: number) => u8(bytes, at) | (u8(bytes, at + 1) << 8);
const u32 = (bytes: Uint8Array, at: number) => (u16(bytes, at) | (u16(bytes, at + 2) << 16)) >>> 0;

/** Decodes the bytes getsockopt(TCP_INFO) wrote (`length` of them); undefined when too short. Pure. */
export function decodeTcpInfo(bytes: Uint8Array, length: number): TcpInfo | undefined {
  if (length < TCP_INFO_MIN_BYTES || bytes.length < length) return undefined;
  return {
    state: u8(bytes, 0),
    retransmits: u8(bytes, 2),
    backoff: u8(bytes, 4),
    rto: u32(bytes, 8),
    lastDataSentMs: u32(bytes, 44),
    lastDataRecvMs: u32(bytes, 52),
    lastAckRecvMs: u32(bytes, 56),
    rttUs: u32(bytes, 68),
    rttVarUs: u32(bytes, 72),
    totalRetrans: u32(bytes, 100),
    segsOut: length >= 140 ? u32(bytes, 136) : undefined,
    segsIn: length >= 144 ? u32(bytes, 140) : undefined,
    minRttUs: length >= 152 ? u32(bytes, 148) : undefined,
    totalRto: length >= 242 ? u16(bytes, 240) : undefined,
  };
}

const INFO_BYTES = 512;
const infoBuffer = Buffer.alloc(INFO_BYTES);
const lengthBuffer = Buffer.alloc(4);

/** How many bytes getsockopt(fd, IPPROTO_TCP, TCP_INFO) wrote into infoBuffer; undefined on error or without the kernel views. */
function readInto(fd: number): number | undefined {
  const c = libc();
  if (!c) return undefined;
  lengthBuffer.writeUInt32LE(INFO_BYTES, 0);
  if (c.getsockopt(fd, IPPROTO_TCP, TCP_INFO, infoBuffer, lengthBuffer) !== 0) return undefined;
  return Math.min(lengthBuffer.readUInt32LE(0), INFO_BYTES);
}

/** The bytes getsockopt(fd, IPPROTO_TCP, TCP_INFO) wrote, valid until the next call; undefined on error or without the kernel views. */
export function readTcpInfoBytes(fd: number): Uint8Array | undefined {
  const length = readInto(fd);
  return length === undefined ? undefined : infoBuffer.subarray(0, length);
}

/** TCP_INFO, decoded: about 2 µs. Straight from the shared buffer (no view made per call). */
export function readTcpInfo(fd: number): TcpInfo | undefined {
  const length = readInto(fd);
  return length === undefined ? undefined : decodeTcpInfo(infoBuffer, length);
}
