import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import type { Target } from '../../src/domain/target.js';
import { Mesh } from '../../src/mesh/mesh.js';
import { fetchSelf, PeerNames, validPeerName } from '../../src/mesh/names.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const names: [unknown, boolean][] = [
  ['node-1', true],
  ['ip-10-0-0-1.eu-west-1.compute.internal', true],
  ['a', true],
  ['', false],
  ['-dash', false],
  ['has space', false],
  ['quote"', false],
  ['x'.repeat(253), true],
  ['x'.repeat(254), false],
  [42, false],
];
for (const [name, valid] of names) {
  test(`peer name ${JSON.stringify(name).slice(0, 24)} is ${valid ? 'valid' : 'refused'}`, () => {
    assert.equal(validPeerName(name), valid);
  });
}

test('a peer that fails is asked again only after a doubling pause', async () => {
  const clock = new FakeClock();
  let asked = 0;
  const peerNames = new PeerNames(11001, clock, async () => {
    asked++;
    throw new Error('connection refused');
  });
  const peer = { host: '10.0.0.9', port: 11000 };
  const at: number[] = [];
  for (const t of [0, 5_000, 10_000, 20_000, 29_999, 30_000, 60_000, 70_000]) {
    await clock.advance(t - clock.nowMs());
    const before = asked;
    assert.deepEqual(await peerNames.name(peer), { name: null });
    if (asked > before) at.push(t);
  }
  assert.deepEqual(at, [0, 10_000, 30_000, 70_000]);
});

test('an answer over 4 KiB is refused, however large the peer makes it', async () => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name: 'n'.repeat(1_000_000) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await assert.rejects(fetchSelf(`http://127.0.0.1:${port}/api/v1/self`, 2000), /answer larger than 4096 bytes/);
    const peerNames = new PeerNames(port, new FakeClock());
    assert.deepEqual(await peerNames.name({ host: '127.0.0.1', port: 11000 }), { name: null, problem: 'answer larger than 4096 bytes' });
  } finally {
    server.close();
  }
});

async function meshOnce(answers: Record<string, unknown>, selfName = 'me') {
  const clock = new FakeClock();
  let targets: Target[] = [];
  const conflicts: number[] = [];
  const mesh = new Mesh(
    {
      peersDns: 'peers.example',
      peers: [],
      port: 11000,
      selfAddress: '',
      selfName,
      maxPeers: 0,
      intervalMs: 10_000,
      webPort: 11001,
      defaults: () => builtInDefaults.defaults,
      onConflicts: (n) => conflicts.push(n),
    },
    clock,
    silentLogger,
    async (t) => {
      targets = t;
    },
    async () => Object.keys(answers),
    async (url) => ({ name: answers[new URL(url).hostname] }),
  );
  mesh.start();
  await clock.advance(1);
  await mesh.stop();
  return { targets: targets.map((t) => `${t.name}=${t.host}`).sort(), conflicts };
}

test("a peer claiming another peer's name does not hide it: it is pinged under its address and counted", async () => {
  const result = await meshOnce({ '10.0.0.1': 'node-a', '10.0.0.2': 'node-a', '10.0.0.3': 'node-c' });
  assert.deepEqual(result.targets, ['10.0.0.2=10.0.0.2', 'node-a=10.0.0.1', 'node-c=10.0.0.3']);
  assert.deepEqual(result.conflicts, [1]);
});

test("a peer claiming this agent's name, or an invalid one, is still pinged, under its address", async () => {
  const result = await meshOnce({ '10.0.0.1': 'me', '10.0.0.2': 'bad name', '10.0.0.3': 'node-c' });
  assert.deepEqual(result.targets, ['10.0.0.1=10.0.0.1', '10.0.0.2=10.0.0.2', 'node-c=10.0.0.3']);
  assert.deepEqual(result.conflicts, [2]);
});
