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

/**
 * Why the responder cut a client off: a line over the limit, bytes that are not text, no complete
 * line for idleTimeoutMs, or a line not finished within lineTimeoutMs of its first byte (slowloris).
 */
export const badRequestReasons = ['line_too_long', 'binary', 'idle_timeout', 'line_timeout'] as const;
export type BadRequestReason = (typeof badRequestReasons)[number];

export type FramingError = Extract<BadRequestReason, 'line_too_long' | 'binary'>;

export interface Framed {
  /** Complete lines, each with its newline (so the reply ends in one too). */
  readonly lines: Buffer[];
  /** The bytes of the line still open (no newline yet), to be carried to the next chunk. */
  readonly open: Buffer;
}

/**
 * Splits received bytes into lines, strictly on `\n`: one line is one ping however TCP cuts it up,
 * so a line sent a byte at a time is still one count, one drop decision and one reply. `open` is
 * what earlier chunks left unterminated; it is joined to the start of this chunk.
 *
 * The limit holds for a line however it is cut up: one sent a byte at a time is cut off too.
 * A newline-less piece stays open here; the responder answers it after a quiet gap (classic clients).
 */
export function frameLines(open: Buffer, chunk: Buffer, maxLineBytes: number): Result<Framed, FramingError> {
  const lines: Buffer[] = [];
  let start = 0;
  let carried = open;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i] as number;
    if (b === 0x0a) {
      if (carried.length + (i - start) > maxLineBytes) return err('line_too_long');
      const piece = chunk.subarray(start, i + 1);
      lines.push(carried.length > 0 ? Buffer.concat([carried, piece]) : piece);
      carried = EMPTY;
      start = i + 1;
    } else if (!isTextByte(b)) {
      return err('binary');
    }
  }
  const rest = chunk.subarray(start);
  if (carried.length + rest.length > maxLineBytes) return err('line_too_long');
  // Copied: the socket may reuse the chunk's memory once this returns.
  const nextOpen = rest.length === 0 ? carried : Buffer.concat([carried, rest]);
  return ok({ lines, open: nextOpen });
}

const EMPTY = Buffer.alloc(0);
