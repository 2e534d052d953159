import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PingTable } from '../../src/icmp/match.js';
import { checksum, parseIcmp4, parseIcmp6 } from '../../src/icmp/parse.js';
import { prng } from '../helpers/prng.js';

/**
 * Structure-aware fuzzing of the ICMP parser: packets are built field by field (outer IPv4 options,
 * every ICMP error type, RFC 4884 lengths and extension structures, quoted IPv4 with options and
 * fragments, quoted IPv6 with chains of extension headers, non-TCP quoted packets, quotes cut short)
 * and the builder, not the parser, says what a correct parser must answer. Each verdict and each
 * quoted address and port is compared, so a parser that misreads any layout fails.
 */
const ITERATIONS = 4000;
type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)] as T;
const bytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

interface Expected {
  ok: boolean;
  why: string;
  type: number;
  code: number;
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
}

const v4Text = (b: Buffer) => [...b].join('.');
/** Canonical IPv6 text by the WHATWG URL parser: independent of the parser's own formatter. */
const v6Text = (b: Buffer) =>
  new URL(`http://[${Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16)).join(':')}]`).hostname.slice(1, -1);

/** A TCP header (20 bytes) with ports that are sometimes 0; the parser needs the first 8 bytes. */
function tcp(r: Rand) {
  const sourcePort = r() < 0.05 ? 0 : 1 + int(r, 65535);
  const destinationPort = r() < 0.05 ? 0 : 1 + int(r, 65535);
  const header = bytes(r, 20);
  header.writeUInt16BE(sourcePort, 0);
  header.writeUInt16BE(destinationPort, 2);
  return { header, sourcePort, destinationPort };
}

/** The datagram a router quotes, with what a correct parser must make of it, cut to `quoted` bytes. */
/** A quote and where its parts are: what the parser needs present is judged on the body as sent (padding included). */
interface Quote {
  readonly quote: Buffer;
  readonly headerBytes: number;
  readonly tcpAt: number;
}

function quotedV4(r: Rand, exp: Expected): Quote {
  const ihl = r() < 0.7 ? 5 : 6 + int(r, 10);
  const ip = bytes(r, ihl * 4);
  ip[0] = 0x40 | ihl;
  const protocol = r() < 0.8 ? 6 : pick(r, [1, 17, 47, 50, 132]);
  ip[9] = protocol;
  const later = r() < 0.1;
  ip.writeUInt16BE((int(r, 8) << 13) | (later ? 1 + int(r, 0x1fff) : 0), 6);
  const src = bytes(r, 4);
  const dst = bytes(r, 4);
  src.copy(ip, 12);
  dst.copy(ip, 16);
  const t = tcp(r);
  Object.assign(exp, { source: v4Text(src), destination: v4Text(dst), sourcePort: t.sourcePort, destinationPort: t.destinationPort });
  const full = Buffer.concat([ip, t.header, bytes(r, int(r, 40))]);
  const length = r() < 0.15 ? int(r, ihl * 4 + 8) : ihl * 4 + 8 + int(r, full.length - ihl * 4 - 7);
  if (protocol !== 6) fail(exp, 'not TCP');
  if (later) fail(exp, 'later fragment');
  return { quote: full.subarray(0, length), headerBytes: 20, tcpAt: ihl * 4 };
}

function quotedV6(r: Rand, exp: Expected): Quote {
  const ip = bytes(r, 40);
  ip[0] = 0x60 | ((ip[0] as number) & 0x0f);
  const src = bytes(r, 16);
  const dst = bytes(r, 16);
  src.copy(ip, 8);
  dst.copy(ip, 24);
  const chain = Array.from({ length: r() < 0.5 ? 0 : 1 + int(r, 9) }, () => pick(r, [0, 43, 60, 44, 51]));
  const last = r() < 0.85 ? 6 : pick(r, [17, 58, 59, 50]);
  const parts: Buffer[] = [ip];
  let later = false;
  chain.forEach((kind, i) => {
    const next = chain[i + 1] ?? last;
    let ext: Buffer;
    if (kind === 44) {
      ext = bytes(r, 8);
      const offset = r() < 0.2 ? 1 + int(r, 0x1fff) : 0;
      later ||= offset !== 0;
      ext.writeUInt16BE((offset << 3) | int(r, 2), 2);
    } else if (kind === 51) {
      const words = 1 + int(r, 4); // (len + 2) × 4 bytes, a multiple of 8 in IPv6
      ext = bytes(r, (2 * words + 2) * 4 - 0);
      ext[1] = 2 * words;
    } else {
      const units = int(r, 3);
      ext = bytes(r, (units + 1) * 8);
      ext[1] = units;
    }
    ext[0] = next;
    parts.push(ext);
  });
  ip[6] = chain[0] ?? last;
  const t = tcp(r);
  Object.assign(exp, { source: v6Text(src), destination: v6Text(dst), sourcePort: t.sourcePort, destinationPort: t.destinationPort });
  const tcpAt = parts.reduce((n, p) => n + p.length, 0);
  const full = Buffer.concat([...parts, t.header]);
  const length = r() < 0.15 ? int(r, tcpAt + 8) : tcpAt + 8 + int(r, 13);
  if (chain.length > 8) fail(exp, 'too many extension headers');
  else if (last !== 6) fail(exp, 'not TCP');
  else if (later) fail(exp, 'later fragment');
  return { quote: full.subarray(0, length), headerBytes: 40, tcpAt };
}

function fail(exp: Expected, why: string): void {
  if (exp.ok) Object.assign(exp, { ok: false, why });
}

/** What must be present of the quote in the body the parser gets: the IP header, then 8 bytes of TCP with non-zero ports. */
function judgeBody(exp: Expected, q: Quote, body: Buffer): void {
  // Headers cut short and padded read on as zeros: protocol 0, or a chain of empty hop-by-hop headers.
  const cut = body.length < q.headerBytes ? 'quoted header cut' : q.quote.length < q.tcpAt ? 'headers cut' : undefined;
  if (cut || body.length < q.tcpAt + 8) {
    fail(exp, cut ?? 'cut before the TCP ports');
    return;
  }
  // With RFC 4884 padding a cut quote reads on into zeros: the ports are what the body holds there.
  exp.sourcePort = body.readUInt16BE(q.tcpAt);
  exp.destinationPort = body.readUInt16BE(q.tcpAt + 2);
  if (exp.sourcePort === 0 || exp.destinationPort === 0) fail(exp, 'port 0');
}

/** The ICMP(v6) message around a quote: sometimes an RFC 4884 length and an extension structure. */
function message(r: Rand, exp: Expected, q: Quote, family: 4 | 6): Buffer {
  const { quote } = q;
  const errorTypes = family === 4 ? [3, 11, 12] : [1, 2, 3, 4];
  const lengthTypes = family === 4 ? [3, 11, 12] : [1, 3];
  const type = r() < 0.9 ? pick(r, errorTypes) : pick(r, family === 4 ? [0, 5, 8, 13] : [128, 129, 133, 137]);
  exp.type = type;
  exp.code = int(r, 16);
  if (!errorTypes.includes(type)) fail(exp, 'not an error type');
  const head = Buffer.alloc(8);
  head[0] = type;
  head[1] = exp.code;
  const unit = family === 4 ? 4 : 8;
  let body = quote;
  let seen = quote;
  if (lengthTypes.includes(type) && r() < 0.4) {
    // RFC 4884: the quote padded to a whole number of units (at least 128 bytes), its length in units, then extensions.
    const padded = Buffer.concat([quote, Buffer.alloc(Math.max(128, Math.ceil(quote.length / unit) * unit) - quote.length)]);
    const extension = Buffer.concat([Buffer.from([0x20, 0, 0, 0]), bytes(r, 4 * int(r, 6))]);
    let units = padded.length / unit;
    if (r() < 0.2) {
      units += 1 + int(r, 40); // claims more than the packet holds
    }
    units = Math.min(255, units);
    head[family === 4 ? 5 : 4] = units;
    body = Buffer.concat([padded, extension]);
    if (units * unit > body.length) fail(exp, 'RFC 4884 length beyond the packet');
    seen = body.subarray(0, units * unit);
  }
  judgeBody(exp, q, seen);
  return Buffer.concat([head, body]);
}

function packet4(r: Rand, exp: Expected): Buffer {
  const icmp = message(r, exp, quotedV4(r, exp), 4);
  icmp.writeUInt16BE(checksum(icmp), 2);
  if (r() < 0.05) {
    icmp[2] = (icmp[2] as number) ^ 0x40;
    fail(exp, 'bad checksum');
  }
  const ihl = r() < 0.7 ? 5 : 6 + int(r, 10);
  const outer = bytes(r, ihl * 4);
  outer[0] = 0x40 | ihl;
  outer[9] = 1;
  outer.writeUInt16BE(outer.length + icmp.length, 2);
  return Buffer.concat([outer, icmp]);
}

for (const family of [4, 6] as const) {
  test(`ICMPv${family === 4 ? '4' : '6'}: every built error gets the verdict and the quoted fields its builder expects`, () => {
    const r = prng(family === 4 ? 0x4884 : 0x6884);
    const verdicts = { ok: 0, refused: new Map<string, number>() };
    for (let i = 0; i < ITERATIONS; i++) {
      const exp = { ok: true, why: '' } as Expected;
      const packet = family === 4 ? packet4(r, exp) : message(r, exp, quotedV6(r, exp), 6);
      const parsed = family === 4 ? parseIcmp4(packet) : parseIcmp6(packet, 'fe80::1');
      const context = `case ${i}: ${packet.toString('hex')}`;
      assert.equal(parsed.ok, exp.ok, `${context}: expected ${exp.ok ? 'a match' : `refusal (${exp.why})`}, got ${JSON.stringify(parsed)}`);
      if (!parsed.ok) {
        verdicts.refused.set(exp.why, (verdicts.refused.get(exp.why) ?? 0) + 1);
        continue;
      }
      verdicts.ok++;
      const { type, code, quoted } = parsed.value;
      assert.deepEqual(
        { type, code, ...quoted },
        {
          type: exp.type,
          code: exp.code,
          source: exp.source,
          destination: exp.destination,
          sourcePort: exp.sourcePort,
          destinationPort: exp.destinationPort,
        },
        context,
      );
      // The matcher picks exactly the ping whose source port was quoted, not a neighbour.
      const table = new PingTable();
      const pings = [0, 1, -1].map((delta) => {
        const ping = table.open({ host: exp.destination, port: exp.destinationPort, seq: 1 });
        table.bind(ping, exp.destination, exp.destinationPort, exp.sourcePort + delta);
        return ping;
      });
      const attribution = table.attribute(parsed.value, 0);
      assert.ok(attribution.kind === 'ping' && attribution.ping === pings[0], context);
    }
    // The generator reaches every branch: a fuzz whose inputs all fail the first check proves nothing.
    assert.ok(verdicts.ok > ITERATIONS / 5, `only ${verdicts.ok} valid packets`);
    const reasons = [...verdicts.refused.keys()].sort();
    const wanted = [
      'not TCP',
      'later fragment',
      'not an error type',
      'RFC 4884 length beyond the packet',
      'port 0',
      ...(family === 4 ? ['bad checksum'] : ['too many extension headers']),
    ];
    for (const reason of wanted) assert.ok(reasons.includes(reason), `no case of "${reason}" among ${reasons.join(', ')}`);
  });
}

test('random mutations of built packets never throw', () => {
  const r = prng(0xf22);
  for (let i = 0; i < ITERATIONS; i++) {
    const family = i % 2 === 0 ? 4 : 6;
    const exp = { ok: true, why: '' } as Expected;
    const packet = family === 4 ? packet4(r, exp) : message(r, exp, quotedV6(r, exp), 6);
    for (let flips = 1 + int(r, 4); flips > 0; flips--) packet[int(r, packet.length)] = int(r, 256);
    const cut = r() < 0.3 ? packet.subarray(0, int(r, packet.length)) : packet;
    assert.doesNotThrow(() => (family === 4 ? parseIcmp4(cut) : parseIcmp6(cut, 'fe80::1')));
  }
});
