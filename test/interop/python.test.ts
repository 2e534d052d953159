import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { builtInDefaults } from '../../src/config/load.js';
import { Responder } from '../../src/responder/responder.js';
import { run, startWithFirstLine, tcpping } from '../helpers/cli.js';
import { closedPort } from '../helpers/servers.js';

// The seed's own programs (written to its description) against ours, both ways.
const started: { kill: () => void }[] = [];
after(() => {
  for (const child of started) child.kill();
});

async function seedServer(dropRate: number) {
  const { child, firstLine } = await startWithFirstLine('python3', [
    'test/fixtures/seed_server.py',
    String(await closedPort()),
    String(dropRate),
  ]);
  started.push(child);
  return Number(firstLine);
}

test('the seed client against our responder: every ping answered upper-cased', async () => {
  const responder = new Responder({ ...builtInDefaults.responder, dropRate: 0, delayMs: 0, jitterMs: 0 });
  const { port } = await responder.listen('127.0.0.1', 0);
  const { code, stdout } = await run('python3', ['test/fixtures/seed_client.py', '127.0.0.1', String(port), '10']);
  await responder.stop();
  assert.equal(code, 0);
  assert.equal(stdout.match(/^Received: PING \d+ \d+\.\d+$/gm)?.length, 10, stdout);
  assert.equal(stdout.match(/^RTT for packet \d+: [\d.]+ ms$/gm)?.length, 10);
  assert.doesNotMatch(stdout, /Mismatch|timed out/);
  assert.match(stdout, /Packet loss rate: 0\.0%/);
});

test('the seed client sees our responder drop pings as timeouts', async () => {
  const responder = new Responder({ ...builtInDefaults.responder, dropRate: 1, delayMs: 0, jitterMs: 0 });
  const { port } = await responder.listen('127.0.0.1', 0);
  const { stdout } = await run('python3', ['test/fixtures/seed_client.py', '127.0.0.1', String(port), '2']);
  await responder.stop();
  assert.match(stdout, /Request timed out for the packet 1\nRequest timed out for the packet 2/);
});

test('our client against the seed server: replies accepted, RTTs and a summary', async () => {
  const port = await seedServer(0);
  const { code, stdout } = await tcpping(['client', `127.0.0.1:${port}`, '-c', '5', '-i', '0']);
  assert.equal(code, 0, stdout);
  assert.equal(
    stdout.match(/^reply from 127\.0\.0\.1:\d+: seq=\d time=[\d.]+ ms connect=[\d.]+ ms reply="PING \d \d+\.\d+"$/gm)?.length,
    5,
    stdout,
  );
  assert.match(stdout, /^5 pings transmitted, 5 received, 0% loss, time \d+ms$/m);
});

test('our client against a seed server that drops everything: timeouts and exit 1', async () => {
  const port = await seedServer(1);
  const { code, stdout } = await tcpping(['client', `127.0.0.1:${port}`, '-c', '2', '-i', '0', '-W', '0.2']);
  assert.equal(code, 1);
  assert.equal(stdout.match(/seq=\d request timed out: no reply within 200 ms/g)?.length, 2, stdout);
  assert.match(stdout, /2 pings transmitted, 0 received, 100% loss/);
});
