import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateSynRetransmits } from '../../src/probe/retransmits.js';

const table: [number, number][] = [
  [0.0002, 0],
  [0.25, 0],
  [0.97, 0],
  [0.99, 1], // a retransmission completing a few ms early still counts
  [1.0003, 1],
  [1.3, 1], // 1 s RTO + a 300 ms path
  [3.001, 2],
  [7.2, 3],
  [15.1, 4],
];

for (const [connectSeconds, expected] of table) {
  test(`a ${connectSeconds} s handshake took ${expected} SYN retransmission(s)`, () => {
    assert.equal(estimateSynRetransmits(connectSeconds), expected);
  });
}
