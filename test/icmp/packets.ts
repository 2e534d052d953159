import { readFileSync } from 'node:fs';
import { checksum } from '../../src/icmp/parse.js';

/** A packet recorded in the namespace lab (see record-fixtures.ts). */
export function recorded(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`../fixtures/icmp/${name}.hex`, import.meta.url), 'utf8').trim(), 'hex');
}

/** Recomputes the ICMP checksum of an IPv4 packet after a test edited it. */
export function fixChecksum4(packet: Buffer): Buffer {
  const headerLength = ((packet[0] ?? 0) & 0x0f) * 4;
  packet.writeUInt16BE(0, headerLength + 2);
  packet.writeUInt16BE(checksum(packet.subarray(headerLength)), headerLength + 2);
  return packet;
}
