import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoverPeers } from '../../src/mesh/discover.js';
import { rendezvousPick } from '../../src/mesh/rendezvous.js';

const nodes = Array.from({ length: 40 }, (_, i) => `node-${i}`);

test('rendezvous: K picks, stable, never the same choice for every agent', () => {
  const picks = rendezvousPick('node-0', nodes.slice(1), 5);
  assert.equal(picks.length, 5);
  assert.deepEqual(rendezvousPick('node-0', [...nodes.slice(1)].reverse(), 5), picks, 'order of discovery does not matter');
  assert.notDeepEqual(
    rendezvousPick(
      'node-1',
      nodes.filter((n) => n !== 'node-1'),
      5,
    ),
    picks,
  );
});

test('rendezvous: a peer leaving changes at most one pick; joining at most one', () => {
  for (const self of nodes.slice(0, 10)) {
    const peers = nodes.filter((n) => n !== self);
    const before = rendezvousPick(self, peers, 5);
    const leaving = before[2] as string;
    const after = rendezvousPick(
      self,
      peers.filter((p) => p !== leaving),
      5,
    );
    assert.equal(after.filter((p) => !before.includes(p)).length, 1);
    const joined = rendezvousPick(self, [...peers, 'node-new'], 5);
    assert.ok(joined.filter((p) => !before.includes(p)).length <= 1);
  }
});

// Each node is picked by about K others; one picked by nobody has probability about e^-K.
test('rendezvous: load is spread evenly over the nodes', () => {
  const pingedBy = new Map<string, number>();
  for (const self of nodes)
    for (const p of rendezvousPick(
      self,
      nodes.filter((n) => n !== self),
      5,
    ))
      pingedBy.set(p, (pingedBy.get(p) ?? 0) + 1);
  assert.ok(pingedBy.size >= nodes.length * 0.9, `${pingedBy.size} of ${nodes.length} nodes are pinged`);
  assert.ok(Math.max(...pingedBy.values()) <= 12, `busiest node pinged by ${Math.max(...pingedBy.values())}`);
});

test('rendezvous: K of 0 or at least the peer count means all peers', () => {
  assert.deepEqual(rendezvousPick('a', ['c', 'b'], 0), ['b', 'c']);
  assert.deepEqual(rendezvousPick('a', ['c', 'b'], 9), ['b', 'c']);
});

test('discovery: DNS records and the static list, without this agent, deduplicated', async () => {
  const peers = await discoverPeers(
    { peersDns: 'peers.example', peers: ['10.0.0.9', '10.0.0.2:12000'], port: 11000, selfAddress: '10.0.0.1' },
    async (name) => (name === 'peers.example' ? ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::3'] : []),
    new Set(['127.0.0.1']),
  );
  assert.deepEqual(
    peers.map((p) => `${p.host}:${p.port}`),
    ['10.0.0.2:11000', '10.0.0.2:12000', '10.0.0.3:11000', '10.0.0.9:11000', 'fd00::3:11000'],
  );
});

test('discovery: a failed lookup is an error for the caller to report', async () => {
  await assert.rejects(
    discoverPeers({ peersDns: 'nowhere.invalid', peers: [], port: 11000, selfAddress: '' }, async () => {
      throw Object.assign(new Error('queryA ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    }),
    /ENOTFOUND/,
  );
});
