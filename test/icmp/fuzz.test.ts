import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PingTable } from '../../src/icmp/match.js';
import { type Parsed, parseIcmp4, parseIcmp6 } from '../../src/icmp/parse.js';
import { prng } from '../helpers/prng.js';
import { recorded } from './packets.js';

const ITERATIONS = 3000;
const fixtures = ['v4-host-unreachable', 'v4-ttl-exceeded', 'v6-port-unreachable', 'v6-unreachable-route'];

function parse(packet: Buffer, family: 4 | 6): Parsed {
  return family === 4 ? parseIcmp4(packet) : parseIcmp6(packet, 'fd77:1::1');
}

test('random bytes never throw', () => {
  const random = prng(0x7cb);
  for (let i = 0; i < ITERATIONS; i++) {
    const packet = Buffer.alloc(Math.floor(random() * 200));
    for (let j = 0; j < packet.length; j++) packet[j] = Math.floor(random() * 256);
    // Give half of them a plausible first byte so they get past the version check.
    if (packet.length > 0 && i % 2 === 0) packet[0] = i % 4 === 0 ? 0x45 : 1;
    for (const family of [4, 6] as const) assert.doesNotThrow(() => parse(packet, family));
  }
});

test('mutated recorded packets never throw and never match a ping they do not quote', () => {
  const random = prng(0x1cc);
  for (const name of fixtures) {
    const family = name.startsWith('v4') ? 4 : 6;
    const original = recorded(name);
    const parsed = parse(original, family);
    assert.ok(parsed.ok);
    const { destination, destinationPort, sourcePort } = parsed.value.quoted;
    for (let i = 0; i < ITERATIONS / fixtures.length; i++) {
      // The real ping and two neighbours a wrong parse could land on.
      const table = new PingTable();
      const pings = [0, 1, -1].map((delta) => {
        const ping = table.open({ host: destination, port: destinationPort });
        table.bind(ping, destination, destinationPort, sourcePort + delta);
        return { ping, sourcePort: sourcePort + delta };
      });
      const packet = Buffer.from(original);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        packet[Math.floor(random() * packet.length)] = Math.floor(random() * 256);
      }
      const cut = random() < 0.2 ? packet.subarray(0, Math.floor(random() * packet.length)) : packet;
      const result = parse(cut, family);
      if (!result.ok) continue;
      const attribution = table.attribute(result.value, 0);
      if (attribution.kind !== 'ping') continue;
      const hit = pings.find((p) => p.ping === attribution.ping);
      const q = result.value.quoted;
      assert.ok(hit, 'matched a ping that is not in the table');
      assert.deepEqual([q.destination, q.destinationPort, q.sourcePort], [destination, destinationPort, hit.sourcePort]);
    }
  }
});
