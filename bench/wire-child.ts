/**
 * Inside the benchmark's namespace: connect pings to PORT, alternating kernel timing (the default
 * context) and userland timing (node:net and hrtime alone), `pairs` of each; one JSON line per ping
 * with its source port, so the parent can find its handshake in the capture.
 * Usage: node --import tsx bench/wire-child.ts PORT PAIRS
 */
import { connect, type Socket } from 'node:net';
import { defaultProbeContext, probers } from '../src/probe/index.js';
import type { ConnectFn, ProbeContext } from '../src/probe/types.js';
import { systemClock } from '../src/util/clock.js';

const [portText = '', pairsText = '100'] = process.argv.slice(2);
let localPort: number | undefined;
const spying =
  (factory: ConnectFn): ConnectFn =>
  (options) => {
    const socket: Socket = factory(options);
    socket.once('connect', () => (localPort = socket.localPort));
    return socket;
  };
const contexts: Record<'kernel' | 'userland', ProbeContext> = {
  kernel: { ...defaultProbeContext, connect: spying(defaultProbeContext.connect) },
  userland: { clock: systemClock, connect: spying(connect) },
};
for (let i = 0; i < Number(pairsText); i++) {
  for (const timing of ['kernel', 'userland'] as const) {
    localPort = undefined;
    const result = await probers.connect({ host: '127.0.0.1', port: Number(portText), seq: i, timeoutMs: 1000 }, contexts[timing]);
    if (result.ok) console.log(JSON.stringify({ timing, localPort, rttSeconds: result.value.rttSeconds, reported: result.value.timing }));
  }
}
