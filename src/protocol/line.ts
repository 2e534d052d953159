import { err, ok, type Result } from '../util/result.js';

/**
 * The echo wire protocol: the client sends `ping <seq> <unix-time-seconds>\n`, the server answers
 * with the same line upper-cased. Pure functions only; sockets live in responder/ and probe/.
 */

export function encodePing(seq: number, unixSeconds: number): string {
  return `ping ${seq} ${unixSeconds.toFixed(6)}\n`;
}

/** ASCII-only upper-casing: the reply must be byte-for-byte predictable for any input. */
export function upperAscii(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}

export function expectedReply(request: string): string {
  return request.toUpperCase();
}

/** Printable ASCII plus tab and CR; anything else in a request is binary garbage. */
function isTextByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0d;
}

export const badRequestReasons = ['line_too_long', 'binary', 'idle_timeout', 'too_many_connections'] as const;
export type BadRequestReason = (typeof badRequestReasons)[number];

export type FrameResult = Result<{ messages: Buffer[]; lineBytes: number }, Extract<BadRequestReason, 'line_too_long' | 'binary'>>;

/**
 * Splits received bytes into messages. Each `\n`-terminated line is one message (newline kept, so
 * the reply ends in one too). A trailing piece without a newline is answered as it stands: a
 * classic pinger sends one message without a newline and waits for its reply, the way a
 * `recv()`-and-answer server treats it. Our own client always ends lines in `\n`, and a 30-byte
 * line is never split across TCP segments in practice.
 *
 * `lineBytes` carries the length of the line still open (no newline yet) from chunk to chunk, so
 * the limit holds for a line however it is cut up: one sent a byte at a time is cut off too.
 */
export function frameMessages(chunk: Buffer, lineBytes: number, maxLineBytes: number): FrameResult {
  const messages: Buffer[] = [];
  let start = 0;
  let open = lineBytes;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i] as number;
    if (b === 0x0a) {
      if (open + (i - start) > maxLineBytes) return err('line_too_long');
      messages.push(chunk.subarray(start, i + 1));
      start = i + 1;
      open = 0;
    } else if (!isTextByte(b)) {
      return err('binary');
    }
  }
  const rest = chunk.subarray(start);
  if (open + rest.length > maxLineBytes) return err('line_too_long');
  if (rest.length > 0) messages.push(rest);
  return ok({ messages, lineBytes: open + rest.length });
}
