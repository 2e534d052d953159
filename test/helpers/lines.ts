import { connect, type Socket } from 'node:net';

/** A raw client for the responder: send bytes, collect what comes back, see when it is closed. */
export async function rawClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let data = '';
  socket.on('data', (d) => {
    data += d.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // A server that refuses us may reset the connection before Node reports it connected.
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, received: () => data, closed };
}
