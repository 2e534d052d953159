import { openMany, trickle } from './attacks.js';

// `node --import tsx test/abuse/holder.ts PORT COUNT [TRICKLE_MS]`: holds COUNT connections open (idle,
// or sending a byte each TRICKLE_MS) in a process of its own, so an attack can exceed one process's
// open-file limit. Prints "ready N" once they are open; exits when its stdin closes.
const [port, count, trickleMs] = process.argv.slice(2).map(Number) as [number, number, number | undefined];
const sockets = await openMany(port, count, 250);
const stop = trickleMs ? trickle(sockets, trickleMs) : () => {};
process.stdout.write(`ready ${sockets.filter((s) => !s.destroyed).length}\n`);
process.stdin.resume();
process.stdin.once('end', () => {
  stop();
  for (const s of sockets) s.destroy();
  process.exit(0);
});
