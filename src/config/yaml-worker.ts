import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * YAML parsing is slow in JavaScript: a file_sd file of 10,000 targets (740 kB) takes about 2 s of
 * CPU with the yaml package here, 50,000 about 9 s. On the event loop that would hold up every
 * ping in flight, so large documents are parsed on a worker thread and only the plain data comes
 * back. One worker, started on first use and not keeping the process alive; a parse that takes
 * longer than PARSE_TIMEOUT_MS ends the worker and is an error.
 */
const PARSE_TIMEOUT_MS = 60_000;

export type ParsedYaml = { ok: true; value: unknown } | { ok: false; errors: string[] };

const workerSource = (yamlPath: string) => `
const { parentPort } = require('node:worker_threads');
const { parseDocument } = require(${JSON.stringify(yamlPath)});
parentPort.on('message', ({ id, text, maxAliasCount }) => {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    parentPort.postMessage({ id, ok: false, errors: doc.errors.slice(0, 10).map((e) => 'not valid YAML: ' + (e.message.split('\\n')[0] || '').replace(/:$/, '')) });
    return;
  }
  try {
    parentPort.postMessage({ id, ok: true, value: doc.toJS({ maxAliasCount }) ?? {} });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, errors: ['not usable YAML: ' + error.message] });
  }
});`;

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (result: ParsedYaml) => void>();

function start(): Worker {
  if (worker) return worker;
  const yamlPath = createRequire(import.meta.url).resolve('yaml');
  const started = new Worker(workerSource(yamlPath), { eval: true, execArgv: [] });
  started.on('message', (result: ParsedYaml & { id: number }) => {
    waiting.get(result.id)?.(result);
    waiting.delete(result.id);
    if (waiting.size === 0) started.unref();
  });
  const fail = (why: string) => {
    if (worker !== started) return;
    worker = undefined;
    for (const resolve of waiting.values()) resolve({ ok: false, errors: [why] });
    waiting.clear();
  };
  started.on('error', (error) => fail(`YAML parser failed: ${error.message}`));
  started.on('exit', () => fail('YAML parser stopped'));
  worker = started;
  return started;
}

export function parseYamlOffThread(text: string, maxAliasCount: number): Promise<ParsedYaml> {
  const w = start();
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      if (waiting.size === 0) w.unref();
      resolve({ ok: false, errors: [`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`] });
      void w.terminate();
    }, PARSE_TIMEOUT_MS);
    timer.unref();
    waiting.set(id, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
    // Held while a parse is pending, let go when idle (the process may exit with an idle parser).
    w.ref();
    w.postMessage({ id, text, maxAliasCount });
  });
}
