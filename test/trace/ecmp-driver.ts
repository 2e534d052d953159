// Runs COUNT traces of ADDRESS:PORT from source ports FIRST, FIRST+1, ... and prints one JSON line
// per trace: its port and the address that answered at each hop. Run inside the lab's client
// namespace by lab.test.ts (one process for them all: a tsx start-up per trace would cost seconds).

import { kernelTraces, traceKernel } from '../../src/trace/sockets.js';
import { systemClock } from '../../src/util/clock.js';

const [address = '', port = '0', count = '0', first = '0'] = process.argv.slice(2);
const kernel = traceKernel();
if ('unavailable' in kernel) throw new Error(kernel.unavailable);
const trace = kernelTraces(kernel, systemClock, Math.random);
for (let i = 0; i < Number(count); i++) {
  const settings = { maxHops: 8, probesPerHop: 3, probeTimeoutMs: 300, maxSilentHops: 2 };
  const sourcePort = Number(first) + i;
  const family = address.includes(':') ? 6 : 4;
  const t = await trace({ address, port: Number(port), family, sourcePort, fixedSourcePort: true, ...settings });
  console.log(JSON.stringify({ sourcePort: t.sourcePort, end: t.end, hops: t.hops.map((h) => h.addresses) }));
}
