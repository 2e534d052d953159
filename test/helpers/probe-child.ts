/**
 * Pings like the service does (its probers, its default context: kernel timing where it works, no
 * ICMP capture) and prints one JSON line per ping, for tests that compare tcpping with the wire.
 * Usage: node --import tsx test/helpers/probe-child.ts MODE HOST PORT COUNT TIMEOUT_MS
 */
import type { Socket } from 'node:net';
import { defaultProbeContext, probers } from '../../src/probe/index.js';
import type { HandshakeOpener, ProbeContext } from '../../src/probe/types.js';

const [mode = 'connect', host = '', portText = '', countText = '1', timeoutText = '1000'] = process.argv.slice(2);
if (mode !== 'connect' && mode !== 'echo') throw new Error(`mode ${mode}`);
let localPort: number | undefined;
// Spy on the factories: each ping's source port is what a capture identifies its flow by.
const open = defaultProbeContext.handshake;
const handshake: HandshakeOpener | undefined =
  open &&
  ((address, port, owner, onEnd, onRead) =>
    open(
      address,
      port,
      owner,
      (socket, status) => {
        if (status === 0) localPort = socket.localPort;
        onEnd(socket, status);
      },
      onRead,
    ));
const context: ProbeContext = {
  ...defaultProbeContext,
  connect: (options) => {
    const socket: Socket = defaultProbeContext.connect(options);
    socket.once('connect', () => (localPort = socket.localPort));
    return socket;
  },
  ...(handshake ? { handshake } : {}),
};
for (let seq = 1; seq <= Number(countText); seq++) {
  localPort = undefined;
  const started = process.hrtime.bigint();
  const result = await probers[mode]({ host, port: Number(portText), seq, timeoutMs: Number(timeoutText) }, context);
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ping = result.ok ? result.value : result.error;
  console.log(JSON.stringify({ ok: result.ok, ...ping, localPort, elapsedSeconds }));
}
