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
// SIGHUP means "reload" to `serve`, from the first instant: Node's default (exit 129) must never
// apply, not even while the service starts or stops. Other commands are ended by it, as usual.
const hangup = new EventTarget();
process.on('SIGHUP', () => {
  if (process.argv[2] === 'serve') hangup.dispatchEvent(new Event('hangup'));
  else process.exit(129);
});
// exit() rather than waiting for the loop to drain: a stray handle must not keep a finished command alive.
process.exit(await main(process.argv.slice(2), processIo(interrupt.signal, hangup)));
