import { builtInDefaults } from '../src/config/load.js';
import { Responder } from '../src/responder/responder.js';
import { HOST, listenBareEcho } from './bare.js';
import { cpuMicros, serveCommands } from './child.js';

/** Child: our responder (dropRate 0) or the bare echo server, so its CPU is read apart from the clients'. */
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
} else {
  throw new Error(`child-server: unknown kind ${kind}`);
}
