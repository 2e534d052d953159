#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

// The first Ctrl-C (or SIGTERM) asks for an orderly stop; a second one exits at once.
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  });
}
// exit() rather than waiting for the loop to drain: a stray handle must not keep a finished command alive.
process.exit(await main(process.argv.slice(2), processIo(interrupt.signal)));
