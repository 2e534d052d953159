import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeIcmp } from '../../src/icmp/descriptions.js';
import { parseIcmp4, parseIcmp6 } from '../../src/icmp/parse.js';
import { fixChecksum4, recorded } from './packets.js';

// Recorded in the namespace lab: the client (10.77.1.2 / fd77:1::2) sent a SYN to port 11000 and
// the router (10.77.1.1 / fd77:1::1) answered. Each row: fixture, type, code, quoted destination, words.
const v4 = [
  ['v4-host-unreachable', 3, 1, '10.77.2.10', 'Destination Host Unreachable'],
  ['v4-admin-prohibited', 3, 13, '10.77.2.11', 'Communication Administratively Prohibited'],
  ['v4-port-unreachable', 3, 3, '10.77.2.12', 'Destination Port Unreachable'],
  ['v4-ttl-exceeded', 11, 0, '10.77.2.13', 'Time to live exceeded in transit'],
  ['v4-unreachable-route', 3, 1, '10.77.3.1', 'Destination Host Unreachable'],
] as const;
const v6 = [
  ['v6-host-unreachable', 1, 3, 'fd77:2::10', 'Address unreachable'],
  ['v6-admin-prohibited', 1, 1, 'fd77:2::11', 'Communication with destination administratively prohibited'],
  ['v6-port-unreachable', 1, 4, 'fd77:2::12', 'Port unreachable'],
  ['v6-ttl-exceeded', 3, 0, 'fd77:2::13', 'Hop limit exceeded in transit'],
  ['v6-unreachable-route', 1, 0, 'fd77:3::1', 'No route to destination'],
] as const;

describe('ICMPv4 errors recorded from real runs', () => {
  for (const [name, type, code, destination, words] of v4) {
    test(name, () => {
      const parsed = parseIcmp4(recorded(name));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      const error = parsed.value;
      assert.deepEqual([error.family, error.type, error.code, error.reporter], [4, type, code, '10.77.1.1']);
      assert.equal(error.quoted.destination, destination);
      assert.equal(error.quoted.destinationPort, 11000);
      assert.match(error.quoted.source, /^10\.77\.1\.[23]$/);
      assert.ok(error.quoted.sourcePort >= 1024);
      assert.equal(describeIcmp(error), words);
    });
  }
});

describe('ICMPv6 errors recorded from real runs', () => {
  for (const [name, type, code, destination, words] of v6) {
    test(name, () => {
      const parsed = parseIcmp6(recorded(name), 'fd77:1::1');
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      const error = parsed.value;
      assert.deepEqual([error.family, error.type, error.code, error.reporter], [6, type, code, 'fd77:1::1']);
      assert.deepEqual([error.quoted.source, error.quoted.destination, error.quoted.destinationPort], ['fd77:1::2', destination, 11000]);
      assert.equal(describeIcmp(error), words);
    });
  }
});

describe('edge cases, built from the recorded bytes', () => {
  const base4 = () => recorded('v4-host-unreachable');
  const base6 = () => recorded('v6-host-unreachable');
  const rejects = (parsed: ReturnType<typeof parseIcmp4>, why: RegExp) =>
    assert.ok(!parsed.ok && why.test(parsed.error), JSON.stringify(parsed));

  test('RFC 4884: a length field bounds the quoted datagram; extensions after it are ignored', () => {
    const packet = Buffer.concat([base4(), Buffer.alloc(68), Buffer.from('2000000000080101', 'hex')]);
    packet.writeUInt16BE(packet.length, 2);
    packet[20 + 5] = 128 / 4; // 128 bytes of original datagram (zero-padded), as RFC 4884 asks
    const parsed = parseIcmp4(fixChecksum4(packet));
    assert.ok(parsed.ok && parsed.value.quoted.destination === '10.77.2.10');
    packet[20 + 5] = 255; // beyond the packet
    rejects(parseIcmp4(fixChecksum4(packet)), /RFC 4884/);
  });

  test('RFC 4884 on ICMPv6 counts 64-bit words', () => {
    const packet = Buffer.concat([base6(), Buffer.alloc(48)]);
    packet[4] = 11; // 88 bytes of original datagram
    assert.ok(parseIcmp6(packet, 'fd77:1::1').ok);
    packet[4] = 40;
    rejects(parseIcmp6(packet, 'fd77:1::1'), /RFC 4884/);
  });

  test('IPv6 extension headers before TCP are walked; a later fragment is rejected', () => {
    const packet = base6();
    const quoted = packet.subarray(8);
    const withOptions = Buffer.concat([packet.subarray(0, 48), Buffer.from('0600010400000000', 'hex'), quoted.subarray(40)]);
    withOptions[8 + 6] = 60; // destination options, then TCP
    const parsed = parseIcmp6(withOptions, 'fd77:1::1');
    assert.ok(parsed.ok && parsed.value.quoted.destinationPort === 11000);
    const fragment = Buffer.concat([packet.subarray(0, 48), Buffer.from('0600000800000001', 'hex'), quoted.subarray(40)]);
    fragment[8 + 6] = 44;
    rejects(parseIcmp6(fragment, 'fd77:1::1'), /later fragment/);
  });

  test('truncated packets are rejected as values at every length', () => {
    for (const [packet, parse] of [
      [base4(), (p: Buffer) => parseIcmp4(p)],
      [base6(), (p: Buffer) => parseIcmp6(p, 'fd77:1::1')],
    ] as const) {
      // Parses while the quoted IP header and 8 bytes of TCP are there: 20+8+20+8 (v4) or 8+40+8 (v6).
      const minimum = 56;
      for (let length = 0; length < packet.length; length++) {
        const cut = Buffer.from(packet.subarray(0, length));
        if (packet[0] === 0x45 && cut.length >= 4) cut.writeUInt16BE(cut.length, 2);
        const parsed = parse(packet[0] === 0x45 && cut.length >= 24 ? fixChecksum4(cut) : cut);
        assert.equal(parsed.ok, length >= minimum, `length ${length}`);
      }
    }
  });

  test('garbage is named, not thrown', () => {
    rejects(parseIcmp4(Buffer.from('hello')), /not an IPv4 packet/);
    const bad = base4();
    bad[30] = (bad[30] ?? 0) ^ 0xff;
    rejects(parseIcmp4(bad), /checksum/);
    const echo = base4();
    echo[20] = 0;
    rejects(parseIcmp4(fixChecksum4(echo)), /not an error/);
    const udp = base4();
    udp[28 + 9] = 17;
    rejects(parseIcmp4(fixChecksum4(udp)), /not TCP/);
    rejects(parseIcmp6(Buffer.from([128, 0, 0, 0, 0, 0, 0, 0]), '::1'), /not an error/);
  });
});
