/**
 * Records what the kernel says about real sockets, as fixtures for the decoders and the verdict
 * rules: TCP_INFO after a clean handshake, after one whose first SYN a router dropped, while
 * still in SYN_SENT, and with a reply waiting unread; error-queue entries for ICMP errors to the
 * handshake. Builds the namespace lab, then (re-run inside the client namespace) makes the
 * connections. Run as root: node --import tsx test/kernel/record-fixtures.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { readErrorMessages } from '../../src/kernel/error-queue.js';
import { connectWithErrorQueue, socketFd } from '../../src/kernel/sockets.js';
import { bytesWaiting } from '../../src/kernel/sockopt.js';
import { readTcpInfoBytes } from '../../src/kernel/tcp-info.js';
import { finished, Lab, lab4, lab6 } from '../helpers/netns.js';
import { synDropTable } from '../helpers/syn-drop.js';

const file = new URL('../fixtures/kernel/recorded.json', import.meta.url);
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function open(host: string, port: number): Socket {
  const socket = connectWithErrorQueue({ host, port, noDelay: true });
  socket.on('error', () => {});
  return socket;
}

async function tcpInfoAt(host: string, port: number, when: 'connect' | number): Promise<string> {
  const socket = open(host, port);
  if (when === 'connect') await new Promise((resolve) => socket.once('connect', resolve));
  else await sleep(when);
  const bytes = hex(readTcpInfoBytes(socketFd(socket) ?? -1));
  socket.destroy();
  return bytes;
}

async function errorQueueOf(host: string, port: number) {
  const socket = open(host, port);
  const messages = await new Promise<ReturnType<typeof readErrorMessages>>((resolve) =>
    socket.once('connectionAttemptFailed', () => resolve(readErrorMessages(socketFd(socket) ?? -1))),
  );
  return messages.map((m) => ({ control: hex(m.control), name: hex(m.name), data: hex(m.data) }));
}

if (process.argv[2] === '--inside') {
  const tcpInfo: Record<string, string> = {
    handshake: await tcpInfoAt(lab4.server, 11000, 'connect'),
    'handshake-after-dropped-syn': await tcpInfoAt(lab4.server, 11001, 'connect'),
    'syn-sent-after-1.5s': await tcpInfoAt(lab4.blackhole, 11000, 1500),
  };
  const echo = open(lab4.server, 11000);
  await new Promise((resolve) => echo.once('connect', resolve));
  // libuv stops reading: the reply stays in the socket, as it does while the event loop is stalled.
  (echo as unknown as { _handle: { readStop(): number } })._handle.readStop();
  echo.write('ping 1 1\n');
  await sleep(300);
  tcpInfo['reply-waiting-300ms'] = hex(readTcpInfoBytes(socketFd(echo) ?? -1));
  const waiting = bytesWaiting(socketFd(echo) ?? -1);
  echo.destroy();
  const errorQueue = {
    'v4-admin-prohibited': await errorQueueOf(lab4.adminProhibited, 11000),
    'v4-ttl-exceeded': await errorQueueOf(lab4.ttlExceeded, 11000),
    'v6-admin-prohibited': await errorQueueOf(lab6.adminProhibited, 11000),
    'v6-port-unreachable': await errorQueueOf(lab6.portUnreachable, 11000),
  };
  writeFileSync(
    file,
    `${JSON.stringify({ kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), waiting, tcpInfo, errorQueue }, null, 2)}\n`,
  );
  console.log(`recorded into ${file.pathname}`);
} else {
  const lab = new Lab('kernel-record');
  try {
    lab.create();
    execFileSync('ip', ['netns', 'exec', lab.router, 'nft', '-f', '-'], {
      input: synDropTable('record', [{ address: lab4.server, port: 11001, drops: 1, flows: 100, tag: 'p11001' }]),
    });
    const servers = [11000, 11001].map((port) =>
      lab.node(lab.server, ['src/cli/bin.ts', 'server', '--listen', `0.0.0.0:${port}`, '--drop-rate', '0']),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.stdout?.once('data', resolve))));
    const result = await finished(lab.node(lab.client, [new URL(import.meta.url).pathname, '--inside']), 20_000);
    process.stdout.write(result.stdout + result.stderr);
  } finally {
    lab.destroy();
  }
}
