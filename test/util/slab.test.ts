import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float64s, uint32s } from '../../src/util/slab.js';

test('arrays cut from slabs are zeros of their own, aligned, and share a few buffers', () => {
  const made: (Float64Array | Uint32Array)[] = [];
  for (let i = 0; i < 2000; i++) made.push(i % 3 === 0 ? uint32s(1 + (i % 7)) : float64s(1 + (i % 41)));
  for (const [i, array] of made.entries()) {
    assert.equal(array.length, i % 3 === 0 ? 1 + (i % 7) : 1 + (i % 41));
    assert.ok(
      array.every((x) => x === 0),
      `array ${i} starts as zeros`,
    );
    assert.equal(array.byteOffset % 8, 0, `array ${i} is aligned`);
    array.fill(i + 1);
  }
  // Each array written whole: none overlaps another.
  for (const [i, array] of made.entries())
    assert.ok(
      array.every((x) => x === i + 1),
      `array ${i} kept its own values`,
    );
  const buffers = new Set(made.map((array) => array.buffer));
  const bytes = made.reduce((sum, array) => sum + array.byteLength, 0);
  assert.ok(buffers.size <= Math.ceil(bytes / (64 * 1024)) + 1, `${buffers.size} buffers for ${bytes} bytes`);
});

test('a large array gets a buffer of its own, and the slab goes on after it', () => {
  const before = float64s(4);
  const large = float64s(4096);
  const after = float64s(4);
  assert.equal(large.buffer.byteLength, 4096 * 8);
  assert.notEqual(large.buffer, before.buffer);
  // Right after the one before it, unless that one filled its slab.
  if (after.buffer === before.buffer) assert.equal(after.byteOffset, before.byteOffset + 32);
  else assert.equal(after.byteOffset, 0);
});
