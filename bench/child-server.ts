import { type AddressInfo, createServer } from 'node:net';
import { builtInDefaults } from '../src/config/load.js';
import { setIntOption } from '../src/kernel/sockopt.js';
import { Responder } from '../src/responder/responder.js';
import { HOST, listenBareEcho } from './bare.js';
import { cpuMicros, serveCommands } from './child.js';

/** Child: our responder (dropRate 0), the bare echo server, or a listener the kernel answers alone (connect mode), so its CPU is read apart from the clients'. */
const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;
const kind = process.argv[2];
let answered = 0;
if (kind === 'responder') {
  const responder = new Responder({
    ...builtInDefaults.responder,
    dropRate: 0,
    delayMs: 0,
    jitterMs: 0,
    events: { ping: () => answered++ },
  });
  const { port } = await responder.listen(HOST, 0);
  serveCommands({ port }, { stats: () => ({ cpuUs: cpuMicros(), answered, rssBytes: process.memoryUsage().rss }) }, () => responder.stop());
} else if (kind === 'bare') {
  const { server, port } = await listenBareEcho();
  server.on('connection', (socket) => socket.on('data', () => answered++));
  serveCommands({ port }, { stats: () => ({ cpuUs: cpuMicros(), answered, rssBytes: process.memoryUsage().rss }) });
} else if (kind === 'kernel') {
  // Connect mode needs the handshake alone, which the kernel completes. With TCP_DEFER_ACCEPT a
  // connection that sends nothing is never handed to this process and the prober's RST removes
  // it: the target costs no userland CPU at all, and 10,000 handshakes a second fit beside the prober.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0, backlog: 4096 }, resolve));
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  if (!setIntOption(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 30)) throw new Error('child-server: cannot set TCP_DEFER_ACCEPT');
  server.on('connection', () => answered++);
  const { port } = server.address() as AddressInfo;
  serveCommands({ port }, { stats: () => ({ cpuUs: cpuMicros(), answered, rssBytes: process.memoryUsage().rss }) }, async () => {
    server.close();
  });
} else {
  throw new Error(`child-server: unknown kind ${kind}`);
}
