import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonChunks, Snapshots } from '../../src/http/snapshot.js';
import { FakeClock } from '../helpers/fake-clock.js';

test('a view is built once per change of the board, and at most once per second however often it changes', async () => {
  const clock = new FakeClock();
  const views = new Snapshots(clock, 1000);
  let builds = 0;
  const build = async () => [`build ${++builds}`];
  assert.deepEqual(await views.get('page', 1, build), ['build 1']);
  assert.deepEqual(await views.get('page', 1, build), ['build 1'], 'unchanged: reused');
  await clock.advance(500);
  assert.deepEqual(await views.get('page', 2, build), ['build 1'], 'changed, but built 500 ms ago: reused');
  await clock.advance(500);
  assert.deepEqual(await views.get('page', 2, build), ['build 2'], 'changed and a second old: rebuilt');
  await clock.advance(5000);
  assert.deepEqual(await views.get('page', 2, build), ['build 2'], 'old but unchanged: reused');
  assert.deepEqual(await views.get('targets', 2, build), ['build 3'], 'each key has its own view');
});

test('requests during a build share it; a failed build is not kept', async () => {
  const clock = new FakeClock();
  const views = new Snapshots(clock, 1000);
  let builds = 0;
  const slow = () => new Promise<string[]>((resolve) => setTimeout(() => resolve([`slow ${++builds}`]), 20));
  const [a, b] = await Promise.all([views.get('k', 1, slow), views.get('k', 1, slow)]);
  assert.equal(a, b);
  assert.equal(builds, 1);
  await assert.rejects(views.get('bad', 1, () => Promise.reject(new Error('boom'))));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await views.get('bad', 1, async () => ['ok']), ['ok']);
});

test('keys are bounded: the oldest view goes first', async () => {
  const views = new Snapshots(new FakeClock(), 1000, 2);
  let builds = 0;
  const build = async () => [String(++builds)];
  await views.get('a', 1, build);
  await views.get('b', 1, build);
  await views.get('c', 1, build);
  assert.deepEqual(await views.get('a', 1, build), ['4'], 'a was dropped for c');
});

test('jsonChunks is the JSON of the whole list, in pieces', async () => {
  const items = Array.from({ length: 123 }, (_, i) => ({ i, s: `x"${i}` }));
  const chunks = await jsonChunks('{"data":[', items, ']}', 50);
  assert.equal(chunks.length, 5);
  assert.deepEqual(JSON.parse(chunks.join('')), { data: items });
  assert.deepEqual(JSON.parse((await jsonChunks('[', [], ']')).join('')), []);
});
