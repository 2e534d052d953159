import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { err, ok, type Result } from '../util/result.js';

/** Larger than any real config or target file (10,000 targets of file_sd are under 1 MB); reading stops here. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
const ATTEMPTS = 5;

type Read = Result<{ bytes: Buffer; ino: number }>;

/**
 * The two reads' buffers, kept from one read to the next (grown as files need, up to KEPT_BYTES):
 * memory fresh from the OS costs a page fault per 4 KiB on first touch, and reading a 10,000-target
 * file (780 kB) twice into new buffers took 7 ms of one turn of the loop here. A larger file is read
 * into buffers of its own, not kept (two of 8 MiB would stay in the process for good). Shared
 * memory, so that the bytes go to the config parser's thread as they are (parse-worker.ts): copying
 * 460 kB into a message held the loop 2 ms.
 */
const KEPT_BYTES = 2 * 1024 * 1024;
const scratch: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0)];

function scratchBuffer(which: number, size: number): Buffer {
  if (size > KEPT_BYTES) return Buffer.allocUnsafeSlow(size);
  let buffer = scratch[which] as Buffer;
  if (buffer.length < size) {
    buffer = Buffer.from(new SharedArrayBuffer(size));
    scratch[which] = buffer;
  }
  return buffer;
}

/**
 * Reads a config or target file safely: only a regular file (a FIFO or device matching a glob must
 * not hang the service: it is opened non-blocking and refused), at most MAX_FILE_BYTES, and read
 * twice: only two reads that agree are taken, so a file an editor is writing in place is read
 * again until it is stable, never half. Timestamps alone cannot tell: two writes within one tick
 * of the kernel's clock leave the same mtime. Writing a new file and renaming it over the old one
 * is the safe way to change a watched file.
 */
export function readConfigFile(path: string, maxBytes = MAX_FILE_BYTES): Result<string> {
  const bytes = readConfigBytes(path, maxBytes);
  return bytes.ok ? ok(bytes.value.toString('utf8')) : bytes;
}

/**
 * As readConfigFile, the bytes undecoded: a view of a buffer the next read reuses, so to be used
 * (hashed, handed to the parser, which has read them once its first answer comes back) before
 * anything else reads a config file.
 */
export function readConfigBytes(path: string, maxBytes = MAX_FILE_BYTES): Result<Buffer> {
  const reads = stableReads();
  for (let step = reads.next(); ; ) {
    if (step.done) return step.value;
    step = reads.next(readOnce(path, maxBytes, step.value));
  }
}

/**
 * readConfigBytes for a running service: the reads run on libuv's threads, not the event loop.
 * The first read of a file just rewritten took 3 ms of one turn there (0.2 ms the next time).
 * One at a time, as the reloader runs them: every read shares the two buffers.
 */
export async function readConfigBytesAsync(path: string, maxBytes = MAX_FILE_BYTES): Promise<Result<Buffer>> {
  const reads = stableReads();
  for (let step = reads.next(); ; ) {
    if (step.done) return step.value;
    step = reads.next(await readOnceAsync(path, maxBytes, step.value));
  }
}

/** Two reads that agree, as readConfigFile says: yields the scratch buffer each read goes into, is sent what it read. */
function* stableReads(): Generator<number, Result<Buffer>, Read> {
  let previous = yield 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (!previous.ok) return previous;
    const current = yield attempt % 2 === 0 ? 1 : 0;
    if (!current.ok) return current;
    if (current.value.ino === previous.value.ino && current.value.bytes.equals(previous.value.bytes)) return ok(current.value.bytes);
    previous = current;
  }
  return err(`it kept changing while being read (${ATTEMPTS} tries); write a new file and rename it into place`);
}

/** One read into scratch buffer `which`. */
function readOnce(path: string, maxBytes: number, which: number): Read {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return err(`cannot read the file: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    const refused = refusal(stat, maxBytes);
    if (refused) return err(refused);
    const { buffer, room } = into(which, stat.size, maxBytes);
    let length = 0;
    for (let n = 1; n > 0 && length < room; length += n) n = readSync(fd, buffer, length, room - length, null);
    return read(buffer, length, maxBytes, stat.ino);
  } catch (error) {
    return err(`cannot read the file: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** readOnce on libuv's threads. */
async function readOnceAsync(path: string, maxBytes: number, which: number): Promise<Read> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return err(`cannot read the file: ${(error as Error).message}`);
  }
  try {
    const stat = await file.stat();
    const refused = refusal(stat, maxBytes);
    if (refused) return err(refused);
    const { buffer, room } = into(which, stat.size, maxBytes);
    let length = 0;
    for (let n = 1; n > 0 && length < room; length += n) n = (await file.read(buffer, length, room - length, null)).bytesRead;
    return read(buffer, length, maxBytes, stat.ino);
  } catch (error) {
    return err(`cannot read the file: ${(error as Error).message}`);
  } finally {
    await file.close();
  }
}

/** Why a file is not read, by what fstat says of it. */
function refusal(stat: { isFile(): boolean; size: number }, maxBytes: number): string | undefined {
  if (!stat.isFile()) return 'not a regular file (a FIFO, device or directory is never read)';
  if (stat.size > maxBytes) return `larger than ${maxBytes} bytes (${stat.size})`;
  return undefined;
}

/** The buffer a file of `size` bytes is read into, and how much of it to fill: one byte more than the limit, so a file that grew past it while read is caught too. */
function into(which: number, size: number, maxBytes: number): { buffer: Buffer; room: number } {
  const buffer = scratchBuffer(which, Math.min(maxBytes, size + 64 * 1024) + 1);
  return { buffer, room: Math.min(buffer.length, maxBytes + 1) };
}

function read(buffer: Buffer, length: number, maxBytes: number, ino: number): Read {
  if (length > maxBytes) return err(`larger than ${maxBytes} bytes`);
  return ok({ bytes: buffer.subarray(0, length), ino });
}
