import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getSystemErrorName } from 'node:util';
import { type BareHandshake, bareHandlesAvailable, bareReadsAvailable, openBareHandshake, UV_EOF } from '../../src/kernel/bare-tcp.js';
import { socketFd } from '../../src/kernel/sockets.js';
import { closedPort } from '../helpers/servers.js';

const skip = bareHandlesAvailable ? false : "this Node gives out no 'tcp_wrap' binding (connect mode uses net.Socket here)";
if (process.env.CI === 'true') assert.equal(skip, false, "CI runs Node 20, 22 and 24: each has Node's TCP handles");
if (skip) console.warn(`SKIPPED bare handshakes: ${skip}`);

type Ended = { socket: BareHandshake<string>; status: number; owner: string | undefined };

/** Opens a handshake and resolves with how it ended (bounded: 2 s). */
function handshake(
  address: string,
  port: number,
  receiveErrors6 = true,
): { opened: BareHandshake<string> | undefined; ended: Promise<Ended> } {
  let opened: BareHandshake<string> | undefined;
  const ended = new Promise<Ended>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end within 2 s for ${address}:${port}`)), 2000);
    opened = openBareHandshake(
      address,
      port,
      'me',
      (socket, status) => {
        clearTimeout(timer);
        resolve({ socket, status, owner: socket.owner });
      },
      receiveErrors6,
    );
  });
  return { opened, ended };
}

describe('bare handshakes on Node’s own TCP handle', { skip }, () => {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
  });
  const server6 = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
  });
  let port = 0;
  let port6 = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server6.listen(0, '::1', resolve));
    port = (server.address() as { port: number }).port;
    port6 = (server6.address() as { port: number }).port;
  });
  after(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
    server6.close();
  });

  test('connects (IPv4): status 0, the owner told, the source port the server saw, an fd the kernel views can ask', async () => {
    const { opened, ended } = handshake('127.0.0.1', port);
    assert.ok(opened);
    const end = await ended;
    assert.equal(end.status, 0);
    assert.equal(end.owner, 'me');
    assert.equal(end.socket, opened);
    assert.equal(opened.connecting, false);
    assert.ok(socketFd(opened) !== undefined, 'an open fd');
    const localPort = opened.localPort;
    assert.ok(localPort && localPort > 0);
    await waitUntil(() => accepted.some((s) => s.remotePort === localPort), 'the server accepted the connection');
    const peer = accepted.find((s) => s.remotePort === localPort) as Socket;
    const closed = new Promise<string>((resolve) => {
      peer.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      peer.once('end', () => resolve('FIN'));
    });
    peer.resume();
    opened.discard();
    assert.equal(opened.destroyed, true);
    assert.equal(socketFd(opened), undefined, 'no fd once discarded');
    assert.equal(opened.localPort, undefined);
    // Closed the RST way: the server hears a reset, not a FIN (no TIME_WAIT left on our side).
    assert.equal(await closed, 'ECONNRESET');
    opened.discard(); // a second discard does nothing
  });

  test('connects (IPv6), with and without IPV6_RECVERR set before connect(2)', async () => {
    for (const receiveErrors6 of [true, false]) {
      const { opened, ended } = handshake('::1', port6, receiveErrors6);
      assert.ok(opened, `opened (receiveErrors6 ${receiveErrors6})`);
      assert.equal((await ended).status, 0);
      assert.ok(opened.localPort);
      opened.discard();
    }
  });

  test('a closed port: the negative errno of ECONNREFUSED, the handle still open to be asked, then discarded', async () => {
    const { opened, ended } = handshake('127.0.0.1', await closedPort());
    const end = await ended;
    assert.equal(getSystemErrorName(end.status), 'ECONNREFUSED');
    assert.ok(opened && socketFd(opened) !== undefined, 'still open: its error queue and TCP_INFO can be read');
    opened.discard();
  });

  test('discarded while connecting: the owner hears nothing more', async () => {
    let heard = 0;
    const socket = openBareHandshake('127.0.0.1', port, 'me', () => heard++, true);
    assert.ok(socket);
    socket.discard();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(heard, 0);
  });

  test('refused before it leaves (TCP to a multicast address): closed and heard before the open returns', () => {
    let heard: number | undefined;
    const socket = openBareHandshake('224.0.0.1', 9, 'me', (_s, status) => (heard = status), true);
    assert.ok(socket);
    assert.equal(heard !== undefined && getSystemErrorName(heard), 'ENETUNREACH');
    assert.equal(socket.destroyed, true);
  });

  test('with reads: a line written, the bytes read back as text in the order they came, then the end of stream', async () => {
    assert.ok(bareReadsAvailable, "Node's stream binding can be had wherever its TCP handles can (20, 22, 24)");
    const echoing = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (data) => {
        socket.write(data.toString('latin1').toUpperCase());
        setTimeout(() => socket.end('é'), 5); // a second read of its own, latin1 as it came
      });
    });
    await new Promise<void>((resolve) => echoing.listen(0, '127.0.0.1', resolve));
    const heard: [string | undefined, number, string][] = [];
    let writeStatus: number | undefined;
    let readStatus: number | undefined;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no end of stream within 2 s')), 2000);
      openBareHandshake(
        '127.0.0.1',
        (echoing.address() as { port: number }).port,
        'me',
        (connection, status) => {
          assert.equal(status, 0);
          readStatus = connection.read();
          writeStatus = connection.write('ping 1\n');
        },
        true,
        (connection, text, status, at, syscall) => {
          assert.equal(connection.owner, 'me');
          assert.ok(at > 0 && at <= performance.now());
          heard.push([text, status, syscall]);
          if (text === undefined) {
            clearTimeout(timer);
            connection.discard();
            resolve();
          }
        },
      );
    });
    await done;
    echoing.close();
    assert.equal(readStatus, 0);
    assert.equal(writeStatus, 0);
    const text = heard.flatMap(([t]) => (t === undefined ? [] : [t])).join('');
    assert.equal(text, 'PING 1\n\u00c3\u00a9', 'the bytes as latin1 text (é is two bytes in UTF-8)');
    assert.deepEqual(heard.at(-1), [undefined, UV_EOF, 'read']);
  });

  test('with reads: a reset by the peer is told as the read’s error; a closed connection neither reads nor writes', async () => {
    const resetting = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    let opened: BareHandshake<string> | undefined;
    const ended = new Promise<[number, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no error within 2 s')), 2000);
      opened = openBareHandshake(
        '127.0.0.1',
        (resetting.address() as { port: number }).port,
        'me',
        (connection) => {
          connection.read();
          connection.write('ping 1\n');
        },
        true,
        (_connection, text, status, _at, syscall) => {
          if (text !== undefined) return;
          clearTimeout(timer);
          resolve([status, syscall]);
        },
      );
    });
    const [status, syscall] = await ended;
    resetting.close();
    assert.equal(getSystemErrorName(status), 'ECONNRESET');
    assert.equal(syscall, 'read');
    assert.ok(opened);
    opened.discard();
    assert.equal(getSystemErrorName(opened.read()), 'EBADF');
    assert.equal(getSystemErrorName(opened.write('ping 2\n')), 'EBADF');
  });

  test('a handshake alone does not read', async () => {
    const { opened, ended } = handshake('127.0.0.1', port);
    assert.equal((await ended).status, 0);
    assert.ok(opened);
    assert.equal(getSystemErrorName(opened.read()), 'EBADF');
    opened.discard();
  });

  test('a name is not for a bare handle (undefined: net.Socket looks it up)', () => {
    assert.equal(
      openBareHandshake('localhost', port, 'me', () => {}, true),
      undefined,
    );
  });
});

async function waitUntil(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(ok(), what);
}
