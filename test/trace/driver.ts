// Runs COUNT traces of ADDRESS:PORT from source ports FIRST, FIRST+1, ... and prints one JSON line
// per trace: its port, end, and per hop the addresses that answered and the worst RTT. Run inside
// the lab's client namespace by lab.test.ts (one process for them all: a tsx start-up per trace
// would cost seconds). With STALL_MS set, the event loop is held that long out of every 25 ms
// meanwhile, as a busy service would hold it.
import { kernelTraces, traceKernel } from '../../src/trace/sockets.js';
import { systemClock } from '../../src/util/clock.js';

const [address = '', port = '0', count = '0', first = '0'] = process.argv.slice(2);
const stallMs = Number(process.env.STALL_MS ?? 0);
const kernel = traceKernel();
if ('unavailable' in kernel) throw new Error(kernel.unavailable);
const trace = kernelTraces(kernel, systemClock, Math.random);
// As the service and the CLI do: stamps on for the whole run, and given time to take effect.
const release = kernel.holdTimestamps();
await new Promise((resolve) => setTimeout(resolve, 200));
const stall =
  stallMs > 0
    ? setInterval(() => {
        const until = Date.now() + stallMs;
        while (Date.now() < until);
      }, 25)
    : undefined;
for (let i = 0; i < Number(count); i++) {
  const settings = { maxHops: 8, probesPerHop: 3, probeTimeoutMs: 300, maxSilentHops: 2 };
  const sourcePort = Number(first) + i;
  const family = address.includes(':') ? 6 : 4;
  const t = await trace({ address, port: Number(port), family, sourcePort, fixedSourcePort: true, ...settings });
  console.log(
    JSON.stringify({
      sourcePort: t.sourcePort,
      end: t.end,
      hops: t.hops.map((h) => h.addresses),
      worstSeconds: t.hops.map((h) => h.rtt?.max ?? null),
    }),
  );
}
clearInterval(stall);
release();
