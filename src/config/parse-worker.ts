import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { backgroundPrioritySource } from '../util/background.js';
import { IdleWorker } from '../util/idle-worker.js';

/**
 * Large config documents are parsed on a worker thread, so a reload does not hold up the pings in
 * flight. YAML parsing is slow in JavaScript: a file_sd file of 10,000 targets (740 kB) takes about
 * 2 s of CPU with the yaml package here, 50,000 about 9 s. JSON is fast to parse, but a megabyte of
 * it is still ms of one turn of the loop.
 *
 * The parsed document comes back in pieces, each asked for when the one before it has been taken:
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

/** A parse under way: the document, once its head came, and the list its pieces fill. */
interface Pending {
  readonly resolve: (result: Parsed) => void;
  value?: unknown;
  list?: unknown[];
  pieces: number;
  piecesLeft: number;
}

let nextId = 1;
const waiting = new Map<number, Pending>();

function settle(id: number, result: Parsed): void {
  const pending = waiting.get(id);
  waiting.delete(id);
  if (waiting.size === 0) parser.idle();
  pending?.resolve(result);
}

function received(w: Worker, message: FromParser): void {
  const pending = waiting.get(message.id);
  if (!pending) return;
  if ('errors' in message) {
    settle(message.id, { ok: false, errors: message.errors });
    return;
  }
  if ('piece' in message) {
    pending.list?.push(...message.piece);
    pending.piecesLeft--;
  } else {
    pending.value = message.value;
    pending.list = Array.isArray(message.value) ? message.value : (message.value as { targets?: unknown[] }).targets;
    pending.pieces = message.pieces;
    pending.piecesLeft = message.pieces;
  }
  if (pending.piecesLeft <= 0) {
    settle(message.id, { ok: true, value: pending.value, pieces: pending.pieces });
    return;
  }
  // The next piece is asked for only once this one is taken, after a turn of the loop: pieces
  // queued at once would all be copied in in one turn.
  setImmediate(() => {
    if (waiting.has(message.id)) w.postMessage({ id: message.id, next: true });
  });
}

const parser = new IdleWorker(workerSource(createRequire(import.meta.url).resolve('yaml')), (started) => {
  started.on('message', (message: FromParser) => received(started, message));
  const fail = (why: string) => {
    if (!parser.forget(started)) return;
    for (const id of [...waiting.keys()]) settle(id, { ok: false, errors: [why] });
  };
  started.on('error', (error) => fail(`config parser failed: ${error.message}`));
  started.on('exit', () => fail('config parser stopped'));
});

/**
 * Decodes `bytes` (UTF-8) and parses them (YAML, aliases bounded by `maxAliasCount`, or JSON) on
 * the worker thread. The bytes are copied into the message before this returns.
 */
export function parseOffThread(bytes: Uint8Array, syntax: Syntax, maxAliasCount: number): Promise<Parsed> {
  const w = parser.busy();
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      settle(id, { ok: false, errors: [`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`] });
      void w.terminate();
    }, PARSE_TIMEOUT_MS);
    timer.unref();
    waiting.set(id, {
      resolve: (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      pieces: 0,
      piecesLeft: 0,
    });
    // A message copies a view's whole buffer: one much larger than the file (a reused read buffer) is cut to it first.
    const sent = bytes.byteLength < bytes.buffer.byteLength / 2 ? bytes.slice() : bytes;
    w.postMessage({ id, bytes: sent, syntax, maxAliasCount });
  });
}
