import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePing, expectedReply, frameMessages, upperAscii } from '../../src/protocol/line.js';

const empty = Buffer.alloc(0);
const text = (b: Buffer[]) => b.map((m) => m.toString('latin1'));

test('encodePing writes the seed message with microseconds and a newline', () => {
  assert.equal(encodePing(4, 1726146326.9797063), 'ping 4 1726146326.979706\n');
  assert.equal(expectedReply('ping 4 1726146326.979706'), 'PING 4 1726146326.979706');
});

test('upperAscii only changes a-z', () => {
  assert.equal(upperAscii(Buffer.from('ping 1 2.5 ~é\n', 'latin1')).toString('latin1'), 'PING 1 2.5 ~é\n');
});

// open: bytes of an unterminated line carried from earlier chunks; max line is 16 bytes.
const cases: { name: string; open: number; chunk: string; messages?: string[]; lineBytes?: number; error?: string }[] = [
  { name: 'one line', open: 0, chunk: 'ping 1 2\n', messages: ['ping 1 2\n'], lineBytes: 0 },
  { name: 'two lines in one chunk', open: 0, chunk: 'ping 1 2\nping 2 3\n', messages: ['ping 1 2\n', 'ping 2 3\n'], lineBytes: 0 },
  { name: 'classic client: no newline, answered as is', open: 0, chunk: 'ping 1 2', messages: ['ping 1 2'], lineBytes: 8 },
  { name: 'a line and a newline-less piece', open: 0, chunk: 'ping 1 2\nping', messages: ['ping 1 2\n', 'ping'], lineBytes: 4 },
  { name: 'the end of an open line closes it', open: 6, chunk: ' 2\n', messages: [' 2\n'], lineBytes: 0 },
  { name: 'CRLF is text', open: 0, chunk: 'ping 1 2\r\n', messages: ['ping 1 2\r\n'], lineBytes: 0 },
  { name: 'binary garbage', open: 0, chunk: 'ping \x00\x01\n', error: 'binary' },
  { name: 'a line over the limit', open: 0, chunk: `${'x'.repeat(17)}\n`, error: 'line_too_long' },
  { name: 'an open line that grows over the limit piece by piece', open: 10, chunk: 'x'.repeat(7), error: 'line_too_long' },
  { name: 'an open line over the limit when its newline comes', open: 10, chunk: `${'x'.repeat(7)}\n`, error: 'line_too_long' },
  { name: 'exactly at the limit', open: 0, chunk: `${'x'.repeat(16)}\n`, messages: [`${'x'.repeat(16)}\n`], lineBytes: 0 },
];

for (const c of cases) {
  test(`frameMessages: ${c.name}`, () => {
    const result = frameMessages(Buffer.from(c.chunk, 'latin1'), c.open, 16);
    if (c.error) {
      assert.deepEqual(result, { ok: false, error: c.error });
      return;
    }
    assert.ok(result.ok);
    assert.deepEqual(text(result.value.messages), c.messages);
    assert.equal(result.value.lineBytes, c.lineBytes);
  });
}

test('frameMessages on an empty chunk yields nothing', () => {
  const result = frameMessages(empty, 0, 16);
  assert.ok(result.ok);
  assert.equal(result.value.messages.length, 0);
});
