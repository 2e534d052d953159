import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerSetup } from './messages.js';

/**
 * Starts a probing worker on the compiled worker.js next to this file. Run from the TypeScript
 * sources (the tests, `tsx`), there is only worker.ts: the worker registers the same TypeScript
 * loader before it loads it, since a worker does not inherit the main thread's loader hooks.
 */
export function spawnWorker(setup: WorkerSetup): Worker {
  const compiled = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: setup });
  const source = new URL('./worker.ts', import.meta.url).href;
  const loader = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, workerData: setup });
}
