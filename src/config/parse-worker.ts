import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { backgroundPrioritySource } from '../util/background.js';
import { IdleWorker } from '../util/idle-worker.js';
import { Pace } from '../util/pace.js';

/**
 * Config documents, YAML of any size and JSON over 16 kB (load.ts), are parsed on a worker thread,
 * so a reload does not hold up the pings in flight. YAML parsing is slow in JavaScript: a file_sd file of 10,000 targets (740 kB) takes about
 * 2 s of CPU with the yaml package here, 50,000 about 9 s. JSON is fast to parse, but a megabyte of
 * it is still ms of one turn of the loop.
 *
 * The parsed document comes back in pieces, each asked for when the one before it has been taken
 * (streamOffThread: when its caller has checked it):
 * a message is copied into this thread in one go (structured clone), and one of 10,000 targets took
 * 11–13 ms from the worker's post to this thread's handler (JSON.parse of the same text here: 3 ms),
 * one of 250 targets 0.5–0.8 ms at the median (at most 2 ms). So the document arrives with its list of targets (the `targets`
 * key, or the top level if that is a list) empty, and the list follows PIECE_ITEMS entries at a
 * time, a turn of the loop between pieces.
 *
 * The worker runs at a lower priority (util/background.ts): where the pings use every core, a
 * reload's parse takes the CPU they leave. At nice 10 beside busy threads that is about a tenth of
 * a core, so the bound on a parse leaves room for 50,000 targets of YAML (9 s of CPU) there. One
 * worker, started when a parse comes and ended after a while without one (util/idle-worker.ts: an
 * idle one holds 20 MiB), never keeping the process alive when idle; a parse that takes longer
 * than PARSE_TIMEOUT_MS ends the worker and is an error.
 */
const PARSE_TIMEOUT_MS = 120_000;
const PIECE_ITEMS = 250;

/** `pieces`: how many pieces the list of targets came in after the document (0: with it). */
export type Parsed = { ok: true; value: unknown; pieces: number } | { ok: false; errors: string[] };
export type Syntax = 'yaml' | 'json';

/** What the worker sends: the document (its list emptied) and how many pieces follow, a piece, or the errors. */
type FromParser =
  | { id: number; ok: true; value: unknown; pieces: number }
  | { id: number; piece: unknown[] }
  | { id: number; ok: false; errors: string[] };

const workerSource = (yamlPath: string) => `
${backgroundPrioritySource}
const { parentPort } = require('node:worker_threads');
const { parseDocument } = require(${JSON.stringify(yamlPath)});
const held = new Map();
function parse(text, syntax, maxAliasCount) {
  if (syntax === 'json') {
    try { return { value: JSON.parse(text) }; } catch (error) { return { errors: ['not valid JSON: ' + error.message] }; }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { errors: doc.errors.slice(0, 10).map((e) => 'not valid YAML: ' + (e.message.split('\\n')[0] || '').replace(/:$/, '')) };
  try { return { value: doc.toJS({ maxAliasCount }) ?? {} }; } catch (error) { return { errors: ['not usable YAML: ' + error.message] }; }
}
parentPort.on('message', (message) => {
  const { id } = message;
  if (message.drop) { held.delete(id); return; }
  if (message.next) {
    const rest = held.get(id);
    if (!rest) return;
    const piece = rest.splice(0, ${PIECE_ITEMS});
    if (rest.length === 0) held.delete(id);
    parentPort.postMessage({ id, piece });
    return;
  }
  const text = new TextDecoder().decode(message.bytes);
  const { value, errors } = parse(text, message.syntax, message.maxAliasCount);
  if (errors) { parentPort.postMessage({ id, ok: false, errors }); return; }
  let list;
  let head = value;
  if (Array.isArray(value)) { list = value; head = []; }
  else if (value && typeof value === 'object' && Array.isArray(value.targets)) { list = value.targets; head = { ...value, targets: [] }; }
  if (!list || list.length <= ${PIECE_ITEMS}) { parentPort.postMessage({ id, ok: true, value, pieces: 0 }); return; }
  held.set(id, list);
  parentPort.postMessage({ id, ok: true, value: head, pieces: Math.ceil(list.length / ${PIECE_ITEMS}) });
});`;

/**
 * A document whose list of targets (see above) is still on the worker: `next()` asks for its next
 * piece, `pieces` of them in all; `close()` when done with it, whole or not (the worker drops the rest).
 */
export interface Streamed {
  readonly ok: true;
  readonly value: unknown;
  readonly pieces: number;
  next(): Promise<{ ok: true; piece: unknown[] } | { ok: false; errors: string[] }>;
  close(): void;
}

type Head = Streamed | { ok: false; errors: string[] };
type Piece = Awaited<ReturnType<Streamed['next']>>;

/** A parse under way: waiting for its head, then for each piece asked for. */
interface Pending {
  readonly head: (result: Head) => void;
  readonly done: () => void;
  piece?: (result: Piece) => void;
  piecesLeft: number;
}

let nextId = 1;
const waiting = new Map<number, Pending>();

/** The parse is over (whole, failed, or abandoned): its worker may idle. */
function forget(id: number): Pending | undefined {
  const pending = waiting.get(id);
  if (!pending) return undefined;
  waiting.delete(id);
  pending.done();
  if (waiting.size === 0) parser.idle();
  return pending;
}

/** The parse failed: whoever waits, for its head or a piece, is told why. */
function fail(id: number, errors: string[]): void {
  const pending = forget(id);
  if (pending?.piece) pending.piece({ ok: false, errors });
  else pending?.head({ ok: false, errors });
}

function received(w: Worker, message: FromParser): void {
  const { id } = message;
  const pending = waiting.get(id);
  if (!pending) return;
  if ('errors' in message) {
    fail(id, message.errors);
    return;
  }
  if ('piece' in message) {
    const take = pending.piece;
    pending.piece = undefined;
    if (--pending.piecesLeft <= 0) forget(id);
    take?.({ ok: true, piece: message.piece });
    return;
  }
  pending.piecesLeft = message.pieces;
  if (message.pieces === 0) forget(id);
  pending.head({
    ok: true,
    value: message.value,
    pieces: message.pieces,
    next: () =>
      new Promise<Piece>((resolve) => {
        if (!waiting.has(id)) return resolve({ ok: false, errors: ['no piece left of this document'] });
        pending.piece = resolve;
        w.postMessage({ id, next: true });
      }),
    close: () => {
      if (forget(id)) w.postMessage({ id, drop: true });
    },
  });
}

const parser = new IdleWorker(workerSource(createRequire(import.meta.url).resolve('yaml')), (started) => {
  started.on('message', (message: FromParser) => received(started, message));
  const stopped = (why: string) => {
    if (!parser.forget(started)) return;
    for (const id of [...waiting.keys()]) fail(id, [why]);
  };
  started.on('error', (error) => stopped(`config parser failed: ${error.message}`));
  started.on('exit', () => stopped('config parser stopped'));
});

/**
 * Decodes `bytes` (UTF-8) and parses them (YAML, aliases bounded by `maxAliasCount`, or JSON) on
 * the worker thread; resolves with the document as soon as its head is in, its list of targets to
 * be asked for piece by piece. The bytes are copied into the message before this returns, unless
 * they are shared memory: those must stay as they are until the head (or an error) comes back.
 */
export function streamOffThread(bytes: Uint8Array, syntax: Syntax, maxAliasCount: number): Promise<Head> {
  const w = parser.busy();
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      fail(id, [`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`]);
      void w.terminate();
    }, PARSE_TIMEOUT_MS);
    timer.unref();
    waiting.set(id, { head: resolve, done: () => clearTimeout(timer), piecesLeft: 0 });
    // Shared memory (read-file.ts's buffers) goes as it is, read there before the first answer
    // comes back. Other bytes are copied with their view's whole buffer: cut to the view first when much larger.
    const shared = bytes.buffer instanceof SharedArrayBuffer;
    const sent = !shared && bytes.byteLength < bytes.buffer.byteLength / 2 ? bytes.slice() : bytes;
    w.postMessage({ id, bytes: sent, syntax, maxAliasCount });
  });
}

/**
 * streamOffThread, the document whole: its pieces asked for one after another, a pause between
 * (pieces queued at once would all be copied in in one turn).
 */
export async function parseOffThread(bytes: Uint8Array, syntax: Syntax, maxAliasCount: number): Promise<Parsed> {
  const head = await streamOffThread(bytes, syntax, maxAliasCount);
  if (!head.ok) return head;
  const { value, pieces } = head;
  const list = Array.isArray(value) ? value : (value as { targets: unknown[] }).targets;
  const pace = new Pace();
  for (let i = 0; i < pieces; i++) {
    await pace.pause();
    const piece = await head.next();
    pace.begin();
    if (!piece.ok) return piece;
    for (const item of piece.piece) list.push(item);
  }
  return { ok: true, value, pieces };
}
