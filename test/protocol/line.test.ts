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

const cases: { name: string; pending: string; chunk: string; partial: boolean; messages?: string[]; rest?: string; error?: string }[] = [
  { name: 'one line', pending: '', chunk: 'ping 1 2\n', partial: false, messages: ['ping 1 2\n'], rest: '' },
  {
    name: 'two lines in one chunk',
    pending: '',
    chunk: 'ping 1 2\nping 2 3\n',
    partial: false,
    messages: ['ping 1 2\n', 'ping 2 3\n'],
    rest: '',
  },
  { name: 'a line split over chunks', pending: 'ping 1', chunk: ' 2\n', partial: false, messages: ['ping 1 2\n'], rest: '' },
  { name: 'a partial line waits', pending: '', chunk: 'ping 1 2\nping', partial: false, messages: ['ping 1 2\n'], rest: 'ping' },
  { name: 'classic client: no newline, answered as is', pending: '', chunk: 'ping 1 2', partial: true, messages: ['ping 1 2'], rest: '' },
  { name: 'CRLF is text', pending: '', chunk: 'ping 1 2\r\n', partial: false, messages: ['ping 1 2\r\n'], rest: '' },
  { name: 'binary garbage', pending: '', chunk: 'ping \x00\x01\n', partial: false, error: 'binary' },
  { name: 'a line over the limit', pending: '', chunk: `${'x'.repeat(17)}\n`, partial: false, error: 'line_too_long' },
  { name: 'an unterminated line over the limit', pending: 'x'.repeat(10), chunk: 'x'.repeat(7), partial: false, error: 'line_too_long' },
  { name: 'exactly at the limit', pending: '', chunk: `${'x'.repeat(16)}\n`, partial: false, messages: [`${'x'.repeat(16)}\n`], rest: '' },
];

for (const c of cases) {
  test(`frameMessages: ${c.name}`, () => {
    const result = frameMessages(Buffer.from(c.pending, 'latin1'), Buffer.from(c.chunk, 'latin1'), 16, c.partial);
    if (c.error) {
      assert.deepEqual(result, { ok: false, reason: c.error });
      return;
    }
    assert.ok(result.ok);
    assert.deepEqual(text(result.messages), c.messages);
    assert.equal(result.rest.toString('latin1'), c.rest);
  });
}

test('frameMessages on an empty chunk yields nothing', () => {
  const result = frameMessages(empty, empty, 16, true);
  assert.ok(result.ok);
  assert.equal(result.messages.length, 0);
});
