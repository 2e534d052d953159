import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionSlots, type EvictionReason } from '../../src/util/connection-slots.js';

function harness(maxConnections: number, maxPerAddress: number) {
  const slots = new ConnectionSlots({ maxConnections, maxPerAddress });
  const closed: string[] = [];
  const open = (name: string, address = '10.0.0.1') => {
    const admitted = slots.admit(address, (reason: EvictionReason) => closed.push(`${name}:${reason}`));
    if ('refused' in admitted) return admitted.refused;
    return admitted.slot;
  };
  return { slots, closed, open };
}

test('evicts the connection that made progress longest ago, not the oldest', () => {
  const { slots, closed, open } = harness(3, 10);
  const a = open('a');
  open('b');
  open('c');
  assert.ok(typeof a !== 'string');
  slots.progress(a);
  open('d');
  assert.deepEqual(closed, ['b:server_full']);
  assert.equal(slots.size, 3);
});

test('an address at its cap evicts its own; other addresses keep theirs', () => {
  const { closed, open } = harness(10, 2);
  open('x1', '10.0.0.9');
  open('a1');
  open('a2');
  open('a3');
  assert.deepEqual(closed, ['a1:address_full']);
});

test('busy connections are never evicted; with every slot busy the new one is refused', () => {
  const { slots, closed, open } = harness(2, 10);
  const a = open('a');
  const b = open('b');
  assert.ok(typeof a !== 'string' && typeof b !== 'string');
  a.busy = true;
  open('c');
  assert.deepEqual(closed, ['b:server_full']);
  // a busy, c idle: c goes next; then with both busy, refusal.
  const d = open('d');
  assert.deepEqual(closed, ['b:server_full', 'c:server_full']);
  assert.ok(typeof d !== 'string');
  d.busy = true;
  assert.equal(open('e'), 'server_full');
  assert.equal(slots.size, 2);
});

test('release frees the slot and its address', () => {
  const { slots, closed, open } = harness(1, 1);
  const a = open('a');
  assert.ok(typeof a !== 'string');
  slots.release(a);
  slots.release(a); // twice is harmless
  open('b');
  assert.deepEqual(closed, []);
  assert.equal(slots.size, 1);
});
