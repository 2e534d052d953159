import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigBytesAsync, parseConfigText } from '../../src/config/load.js';
import { parseOffThread, streamOffThread } from '../../src/config/parse-worker.js';
import { ConfigError } from '../../src/util/errors.js';

/** A file's text, as its bytes go to the parser. */
const parseConfigTextAsync = (text: string, source: string) => parseConfigBytesAsync(Buffer.from(text), source);

/** A config of `n` targets, each with labels, in JSON (which is YAML too). */
function document(n: number): { defaults: { mode: string }; targets: { name: string; address: string; labels: { n: string } }[] } {
  return {
    defaults: { mode: 'connect' },
    targets: Array.from({ length: n }, (_, i) => ({ name: `t-${i}`, address: `10.0.${i >> 8}.${i & 255}:7`, labels: { n: String(i) } })),
  };
}

test('a large JSON config is parsed off the loop and comes back whole, its targets in order and in pieces', async () => {
  const text = JSON.stringify(document(2000));
  assert.ok(text.length > 16 * 1024);
  assert.deepEqual(await parseConfigTextAsync(text, 'big.json'), parseConfigText(text, 'big.json'));
  // One message of 2,000 targets would be copied into the loop in one go: 8 pieces of 250 instead.
  const parsed = await parseOffThread(Buffer.from(text), 'json', 100);
  assert.ok(parsed.ok);
  assert.equal(parsed.pieces, 8);
  assert.deepEqual(parsed.value, JSON.parse(text));
});

test('a large YAML list at the top level (a targets file) comes back whole and in order', async () => {
  const groups = Array.from({ length: 1001 }, (_, i) => `- targets: ["10.1.${i >> 8}.${i & 255}:11000"]\n  labels: { name: "t-${i}" }`);
  const text = `${groups.join('\n')}\n`;
  const parsed = await parseConfigTextAsync(text, 'targets.yaml');
  assert.deepEqual(parsed, parseConfigText(text, 'targets.yaml'));
  assert.equal((parsed as unknown[]).length, 1001);
});

test('a large document without a list of targets, or with a short one, comes back as it is', async () => {
  const settings = { defaults: { mode: 'echo' }, padding: 'x'.repeat(20_000), targets: document(3).targets };
  const text = JSON.stringify(settings);
  assert.deepEqual(await parseConfigTextAsync(text, 'few.yml'), settings);
  const noTargets = { web: { listenAddress: ':9' }, padding: 'y'.repeat(20_000) };
  assert.deepEqual(await parseConfigTextAsync(JSON.stringify(noTargets), 'none.json'), noTargets);
});

test('a large broken file is refused with an error naming the file and its syntax', async () => {
  const text = JSON.stringify(document(500));
  await assert.rejects(parseConfigTextAsync(`${text.slice(0, -10)},,`, 'cut.json'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.problems[0] ?? '', /^cut\.json: not valid JSON: /);
    return true;
  });
  await assert.rejects(parseConfigTextAsync(`targets:\n  - name: [\n${'#'.repeat(20_000)}\n`, 'cut.yaml'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.problems[0] ?? '', /^cut\.yaml: not valid YAML: /);
    return true;
  });
  await assert.rejects(parseConfigTextAsync(text, 'big.toml'), /big\.toml: \.toml files are not read/);
});

test('parses under way at once each get their own document', async () => {
  const texts = [document(700), document(300), document(1200)].map((d, k) => JSON.stringify({ ...d, defaults: { mode: String(k) } }));
  const parsed = await Promise.all(texts.map((text, k) => parseConfigTextAsync(text, `c${k}.json`)));
  for (const [k, value] of parsed.entries()) assert.deepEqual(value, JSON.parse(texts[k] as string));
});

test('the bytes are decoded as UTF-8 on the parser thread, only those of the view given', async () => {
  const settings = { defaults: { mode: 'echo' }, padding: 'é'.repeat(10_000), targets: [{ name: 'café ☕', address: '10.0.0.1:7' }] };
  const bytes = Buffer.from(JSON.stringify(settings));
  assert.ok(bytes.length > 16 * 1024);
  // A view in the middle of a larger buffer (a reused read buffer), with bytes on either side that are not JSON.
  const big = Buffer.alloc(bytes.length * 3, '}');
  bytes.copy(big, bytes.length);
  assert.deepEqual(await parseConfigBytesAsync(big.subarray(bytes.length, 2 * bytes.length), 'utf8.json'), settings);
  await assert.rejects(
    parseConfigBytesAsync(big.subarray(bytes.length - 1, 2 * bytes.length), 'utf8.json'),
    /utf8\.json: not valid JSON: /,
  );
});

test('streamed: the head at once, its list of targets piece by piece as asked; closed half-way, nothing more comes', async () => {
  const whole = document(1000);
  const head = await streamOffThread(Buffer.from(JSON.stringify(whole)), 'json', 100);
  assert.ok(head.ok);
  assert.equal(head.pieces, 4);
  assert.deepEqual(head.value, { ...whole, targets: [] });
  const first = await head.next();
  assert.ok(first.ok);
  assert.deepEqual(first.piece, whole.targets.slice(0, 250));
  const second = await head.next();
  assert.deepEqual(second.ok && second.piece, whole.targets.slice(250, 500));
  head.close();
  assert.deepEqual(await head.next(), { ok: false, errors: ['no piece left of this document'] });
  // The worker is free for the next document, and the one closed left nothing behind in it.
  assert.deepEqual(await parseConfigTextAsync(JSON.stringify(whole), 'again.json'), whole);
});
