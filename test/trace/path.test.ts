import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answersStopAt, lastAnswer, type PathHop, type ProbeOutcome } from '../../src/domain/path.js';
import { changedHops } from '../../src/trace/diff.js';
import { summarizeHop } from '../../src/trace/hops.js';
import { chooseSourcePort } from '../../src/trace/port.js';

const te = (from: string, ms = 1): ProbeOutcome => ({
  answer: 'time-exceeded',
  from,
  rttSeconds: ms / 1000,
  icmp: { family: 4, type: 11, code: 0, reporter: from },
});
const none: ProbeOutcome = { answer: 'none' };
/** A path as hops: an address per hop, null for a silent one, [a, b] for two routers answering. */
const path = (...hops: (string | null | string[])[]): { hops: PathHop[] } => ({
  hops: hops.map((h, i) => summarizeHop(i + 1, h === null ? [none] : (Array.isArray(h) ? h : [h]).map((a) => te(a)))),
});

test('a hop is summed up as mtr does: the address that answered most, every address, RTTs, the answer', () => {
  const hop = summarizeHop(3, [te('10.0.0.2', 2), none, te('10.0.0.9', 4), te('10.0.0.9', 6), { answer: 'error', detail: 'EADDRINUSE' }]);
  assert.deepEqual(
    { ...hop, rtt: hop.rtt && { min: hop.rtt.min * 1000, avg: hop.rtt.avg * 1000, max: hop.rtt.max * 1000 } },
    {
      hop: 3,
      address: '10.0.0.9',
      addresses: ['10.0.0.2', '10.0.0.9'],
      sent: 4,
      received: 3,
      rtt: { min: 2, avg: 4, max: 6 },
      answer: 'time-exceeded',
      icmp: { family: 4, type: 11, code: 0, reporter: '10.0.0.9' },
    },
  );
  assert.deepEqual(summarizeHop(2, [none, none]), { hop: 2, address: null, addresses: [], sent: 2, received: 0, rtt: null, answer: null });
  // A tie goes to the first address that answered.
  assert.equal(summarizeHop(1, [te('b'), te('a')]).address, 'b');
});

test('answers stop at the last hop that answered, unless the destination did; a silent hop before it is not where', () => {
  const stopped = { ...path('r1', null, 'r3', null, null), end: 'silence' as const };
  assert.equal(answersStopAt(stopped)?.hop, 3);
  assert.equal(lastAnswer(stopped)?.address, 'r3');
  assert.equal(answersStopAt({ ...path('r1', null, 'r3', 'dest'), end: 'syn-ack' }), undefined);
  assert.equal(answersStopAt({ ...path(null, null), end: 'silence' }), undefined);
  assert.equal(answersStopAt({ ...path('r1', 'r2'), end: 'unreachable' })?.hop, 2);
});

test('a path changed at the hops where both traces got answers and no address answered both times', () => {
  const cases: [string, { hops: PathHop[] }, { hops: PathHop[] }, number[]][] = [
    ['the same path', path('r1', 'r2', 'r3', 'd'), path('r1', 'r2', 'r3', 'd'), []],
    ['a router replaced', path('r1', 'r2', 'r3a', 'r4', 'd'), path('r1', 'r2', 'r3b', 'r4', 'd'), [3]],
    ['answers stop earlier (the loss itself)', path('r1', 'r2', 'r3', 'r4', 'd'), path('r1', 'r2', 'r3', null, null), []],
    ['a router that skipped its ICMP', path('r1', 'r2', 'r3'), path('r1', null, 'r3'), []],
    ['the destination one hop nearer', path('r1', 'r2', 'd'), path('r1', 'd'), [2]],
    ['the destination one hop further', path('r1', 'd'), path('r1', 'r2', 'd'), [2]],
    ['two routers at a hop, one of them seen before', path('r1', ['r2a', 'r2b']), path('r1', 'r2b'), []],
    ['everything new', path('a', 'b'), path('c', 'd'), [1, 2]],
  ];
  for (const [name, before, after, changed] of cases) assert.deepEqual(changedHops(before, after), changed, name);
});

test('a source port is chosen outside the range connect(2) hands out, and above the privileged ports', () => {
  const range: [number, number] = [32768, 60999];
  const picks = Array.from({ length: 1001 }, (_, i) => chooseSourcePort(() => i / 1001, range));
  assert.ok(picks.every((p) => Number.isInteger(p) && p >= 1024 && p <= 65535 && (p < 32768 || p > 60999)));
  assert.equal(Math.min(...picks), 1024);
  assert.ok(Math.max(...picks) >= 65400);
  assert.ok(picks.some((p) => p > 60999) && picks.some((p) => p < 32768), 'both sides of the range');
  // A range that covers everything leaves no choice but to share it; an unknown one, everything above 1023.
  assert.ok([0, 0.5, 0.9999].map((r) => chooseSourcePort(() => r, [1024, 65535])).every((p) => p >= 1024 && p <= 65535));
  assert.equal(
    chooseSourcePort(() => 0, undefined),
    1024,
  );
  assert.equal(
    chooseSourcePort(() => 0.99999, undefined),
    65535,
  );
  assert.equal(
    chooseSourcePort(() => 0, [500, 2000]),
    2001,
  );
});
