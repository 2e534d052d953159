import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePing, expectedReply, frameLines, upperAscii } from '../../src/protocol/line.js';

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
const cases: { name: string; open: string; chunk: string; lines?: string[]; rest?: string; error?: string }[] = [
  { name: 'one line', open: '', chunk: 'ping 1 2\n', lines: ['ping 1 2\n'], rest: '' },
  { name: 'two lines in one chunk', open: '', chunk: 'ping 1 2\nping 2 3\n', lines: ['ping 1 2\n', 'ping 2 3\n'], rest: '' },
  { name: 'no newline: nothing yet, the piece stays open', open: '', chunk: 'ping 1 2', lines: [], rest: 'ping 1 2' },
  { name: 'a line and a newline-less piece', open: '', chunk: 'ping 1 2\nping', lines: ['ping 1 2\n'], rest: 'ping' },
  { name: 'the end of an open line joins it: one line', open: 'ping 1', chunk: ' 2\n', lines: ['ping 1 2\n'], rest: '' },
  { name: 'a middle piece grows the open line', open: 'pi', chunk: 'ng 1', lines: [], rest: 'ping 1' },
  { name: 'a lone newline closes the open line', open: 'ping 1 2', chunk: '\n', lines: ['ping 1 2\n'], rest: '' },
  { name: 'an open line, its end and the next line', open: 'p', chunk: 'ing 1\nping 2\npi', lines: ['ping 1\n', 'ping 2\n'], rest: 'pi' },
  { name: 'CRLF is text', open: '', chunk: 'ping 1 2\r\n', lines: ['ping 1 2\r\n'], rest: '' },
  { name: 'binary garbage', open: '', chunk: 'ping \x00\x01\n', error: 'binary' },
  { name: 'binary after an open line', open: 'ping', chunk: '\xff', error: 'binary' },
  { name: 'a line over the limit', open: '', chunk: `${'x'.repeat(17)}\n`, error: 'line_too_long' },
  { name: 'an open line that grows over the limit piece by piece', open: 'x'.repeat(10), chunk: 'x'.repeat(7), error: 'line_too_long' },
  { name: 'an open line over the limit when its newline comes', open: 'x'.repeat(10), chunk: `${'x'.repeat(7)}\n`, error: 'line_too_long' },
  { name: 'exactly at the limit', open: '', chunk: `${'x'.repeat(16)}\n`, lines: [`${'x'.repeat(16)}\n`], rest: '' },
  {
    name: 'exactly at the limit across chunks',
    open: 'x'.repeat(10),
    chunk: `${'x'.repeat(6)}\n`,
    lines: [`${'x'.repeat(16)}\n`],
    rest: '',
  },
];

for (const c of cases) {
  test(`frameLines: ${c.name}`, () => {
    const result = frameLines(Buffer.from(c.open, 'latin1'), Buffer.from(c.chunk, 'latin1'), 16);
    if (c.error) {
      assert.deepEqual(result, { ok: false, error: c.error });
      return;
    }
    assert.ok(result.ok);
    assert.deepEqual(text(result.value.lines), c.lines);
    assert.equal(result.value.open.toString('latin1'), c.rest);
  });
}

test('frameLines: a line cut into every possible pair of pieces is one line', () => {
  const line = 'ping 17 1726146326.979706\n';
  for (let cut = 1; cut < line.length; cut++) {
    const first = frameLines(empty, Buffer.from(line.slice(0, cut)), 1024);
    assert.ok(first.ok);
    assert.deepEqual(first.value.lines, []);
    const second = frameLines(first.value.open, Buffer.from(line.slice(cut)), 1024);
    assert.ok(second.ok);
    assert.deepEqual(text(second.value.lines), [line]);
    assert.equal(second.value.open.length, 0);
  }
});

test('frameLines: the open piece does not alias the chunk (sockets reuse their buffers)', () => {
  const chunk = Buffer.from('ping');
  const result = frameLines(empty, chunk, 16);
  assert.ok(result.ok);
  chunk.fill(0x78);
  assert.equal(result.value.open.toString(), 'ping');
});

test('frameLines on an empty chunk yields nothing', () => {
  const result = frameLines(empty, empty, 16);
  assert.ok(result.ok);
  assert.equal(result.value.lines.length, 0);
});
