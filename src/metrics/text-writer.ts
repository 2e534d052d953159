/**
 * Text exposition lines written straight into bytes: the line prefixes (name and labels) are cached
 * as UTF-8, the values written as ASCII. At 1,000 targets the body is 6 MB; building it as a
 * string and letting the socket turn it into bytes cost twice as long as this.
 */
export class TextWriter {
  private buf = new Uint8Array(1 << 18);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** prefix, value, newline; value must be ASCII (formatValue's output is). */
  line(prefix: Uint8Array, value: string): void {
    this.ensure(prefix.length + value.length + 1);
    this.buf.set(prefix, this.pos);
    let p = this.pos + prefix.length;
    for (let i = 0; i < value.length; i++) this.buf[p++] = value.charCodeAt(i);
    this.buf[p++] = 10;
    this.pos = p;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  get length(): number {
    return this.pos;
  }

  /** A copy of what was written, and a reset (the buffer is reused for the next chunk). */
  take(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
