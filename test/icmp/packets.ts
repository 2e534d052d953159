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

/** A seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
