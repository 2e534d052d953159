import type { IcmpReport } from '../domain/ping.js';
import { formatIPv4, formatIPv6 } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';

/** The part of our own TCP segment that an ICMP error quotes back. */
export interface QuotedTcp {
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

export interface IcmpError extends IcmpReport {
  readonly quoted: QuotedTcp;
}

/** Bad bytes are a value, never an exception: the capture drops them and keeps listening. */
export type Parsed = Result<IcmpError>;

const TCP = 6;
const reject = (reason: string): Parsed => err(reason);

/** Error types whose body quotes the offending datagram (RFC 792, RFC 4443). */
const errorTypes4 = new Set([3, 11, 12]);
const errorTypes6 = new Set([1, 2, 3, 4]);
/** Types with an RFC 4884 length field (in 32-bit words for v4 at byte 5, 64-bit for v6 at byte 4). */
const lengthTypes4 = errorTypes4;
const lengthTypes6 = new Set([1, 3]);

/** An IPv4 raw socket delivers the whole packet, outer IP header included. */
export function parseIcmp4(packet: Uint8Array): Parsed {
  if (packet.length < 20 || u8(packet, 0) >> 4 !== 4) return reject('not an IPv4 packet');
  const headerLength = (u8(packet, 0) & 0x0f) * 4;
  const totalLength = (u8(packet, 2) << 8) | u8(packet, 3);
  if (headerLength < 20 || totalLength < headerLength + 8 || totalLength > packet.length) return reject('bad IPv4 header lengths');
  if (u8(packet, 9) !== 1) return reject('not ICMP');
  const icmp = packet.subarray(headerLength, totalLength);
  // Raw sockets see packets before icmp_rcv() checks them, so the checksum is ours to verify.
  if (checksum(icmp) !== 0) return reject('bad ICMP checksum');
  const type = u8(icmp, 0);
  if (!errorTypes4.has(type)) return reject(`ICMP type ${type} is not an error`);
  const body = quotedBody(icmp, lengthTypes4.has(type) ? u8(icmp, 5) * 4 : 0);
  if (!body) return reject('RFC 4884 length beyond the packet');
  const quoted = quotedIPv4(body);
  if (typeof quoted === 'string') return reject(quoted);
  return ok({ family: 4, type, code: u8(icmp, 1), reporter: formatIPv4(packet, 12), quoted });
}

/** An IPv6 raw socket delivers the ICMPv6 message only; the reporter comes from recvfrom(). */
export function parseIcmp6(message: Uint8Array, reporter: string): Parsed {
  if (message.length < 8) return reject('shorter than an ICMPv6 header');
  const type = u8(message, 0);
  if (!errorTypes6.has(type)) return reject(`ICMPv6 type ${type} is not an error`);
  const body = quotedBody(message, lengthTypes6.has(type) ? u8(message, 4) * 8 : 0);
  if (!body) return reject('RFC 4884 length beyond the packet');
  const quoted = quotedIPv6(body);
  if (typeof quoted === 'string') return reject(quoted);
  return ok({ family: 6, type, code: u8(message, 1), reporter, quoted });
}

/** RFC 4884: a non-zero length bounds the quoted datagram (extensions follow); zero means "all of it". */
function quotedBody(icmp: Uint8Array, length: number): Uint8Array | undefined {
  if (length === 0) return icmp.subarray(8);
  return 8 + length <= icmp.length ? icmp.subarray(8, 8 + length) : undefined;
}

function quotedIPv4(ip: Uint8Array): QuotedTcp | string {
  if (ip.length < 20 || u8(ip, 0) >> 4 !== 4) return 'quoted packet is not IPv4';
  const headerLength = (u8(ip, 0) & 0x0f) * 4;
  if (headerLength < 20) return 'quoted IPv4 header too short';
  if (u8(ip, 9) !== TCP) return 'quoted packet is not TCP';
  // A non-first fragment carries no TCP header.
  if (((u8(ip, 6) & 0x1f) << 8) + u8(ip, 7) !== 0) return 'quoted packet is a later fragment';
  return tcpPorts(ip, headerLength, formatIPv4(ip, 12), formatIPv4(ip, 16));
}

/** Extension headers that may stand between the IPv6 header and TCP, with their lengths. */
const extensionLength: Record<number, (ext: Uint8Array, at: number) => number> = {
  0: (ext, at) => (u8(ext, at + 1) + 1) * 8, // hop-by-hop options
  43: (ext, at) => (u8(ext, at + 1) + 1) * 8, // routing
  60: (ext, at) => (u8(ext, at + 1) + 1) * 8, // destination options
  51: (ext, at) => (u8(ext, at + 1) + 2) * 4, // authentication header
  44: () => 8, // fragment
};

function quotedIPv6(ip: Uint8Array): QuotedTcp | string {
  if (ip.length < 40 || u8(ip, 0) >> 4 !== 6) return 'quoted packet is not IPv6';
  let next = u8(ip, 6);
  let at = 40;
  for (let hops = 0; next !== TCP; hops++) {
    const length = extensionLength[next];
    if (!length || hops >= 8) return `quoted packet is not TCP (next header ${next})`;
    if (at + 8 > ip.length) return 'quoted extension header truncated';
    if (next === 44 && (((u8(ip, at + 2) << 8) | u8(ip, at + 3)) & 0xfff8) !== 0) {
      return 'quoted packet is a later fragment';
    }
    next = u8(ip, at);
    at += length(ip, at);
  }
  return tcpPorts(ip, at, formatIPv6(ip, 8), formatIPv6(ip, 24));
}

/** ICMP quotes at least 8 bytes of TCP (RFC 792): the ports are there, so we match on them. */
function tcpPorts(ip: Uint8Array, at: number, source: string, destination: string): QuotedTcp | string {
  if (at + 8 > ip.length) return 'quoted TCP header shorter than 8 bytes';
  const sourcePort = (u8(ip, at) << 8) | u8(ip, at + 1);
  const destinationPort = (u8(ip, at + 2) << 8) | u8(ip, at + 3);
  if (sourcePort === 0 || destinationPort === 0) return 'quoted TCP port 0';
  return { source, destination, sourcePort, destinationPort };
}

/** The Internet checksum; 0 when the data already includes a correct checksum. */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (u8(data, i) << 8) | u8(data, i + 1);
  if (data.length % 2 === 1) sum += u8(data, data.length - 1) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A byte, 0 past the end (every caller checks lengths first; this keeps the types honest). */
function u8(bytes: Uint8Array, index: number): number {
  return bytes[index] ?? 0;
}
