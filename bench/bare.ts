import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The floors: what plain node:net does for the same work, with nothing of tcpping in between.
 * Same message as our probe (`ping <seq> <unix-time>\n`, 26-27 bytes), Nagle off, and sockets
 * closed with RST like our probe (so neither side piles up TIME_WAIT).
 */
export const HOST = '127.0.0.1';

export function pingLine(seq: number): string {
  return `ping ${seq} ${(Date.now() / 1000).toFixed(6)}\n`;
}

/** A bare echo server: answers each chunk upper-cased (one ping = one chunk at these sizes). */
export async function listenBareEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk) => socket.write(chunk.toString('latin1').toUpperCase()));
  });
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface BareTiming {
  /** connect() call to 'connect'. */
  readonly connectNs: bigint;
  /** write to first reply byte. */
  readonly rttNs: bigint;
}

/** A new connection under a timeout; `finish` clears the timer and closes with RST, like our probe. */
function openBare(port: number, timeoutMs: number, reject: (error: Error) => void, host = HOST): { socket: Socket; finish: () => void } {
  const socket = connect({ host, port, noDelay: true });
  const timer = setTimeout(() => {
    socket.destroy();
    reject(new Error('timeout'));
  }, timeoutMs);
  socket.on('error', (error) => {
    clearTimeout(timer);
    reject(error);
  });
  return {
    socket,
    finish: () => {
      clearTimeout(timer);
      socket.resetAndDestroy();
    },
  };
}

/** One ping on a new connection: connect, write, wait for the reply, RST. Rejects on error or after timeoutMs. */
export function bareNewPing(port: number, seq: number, timeoutMs = 1000, host = HOST): Promise<BareTiming> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let t1 = 0n;
    const { socket, finish } = openBare(port, timeoutMs, reject, host);
    socket.once('connect', () => {
      t1 = process.hrtime.bigint();
      socket.write(pingLine(seq));
    });
    socket.once('data', () => {
      const t2 = process.hrtime.bigint();
      finish();
      resolve({ connectNs: t1 - t0, rttNs: t2 - t1 });
    });
  });
}

/** Handshake only: connect() call to 'connect', then RST. */
export function bareConnect(port: number, timeoutMs = 1000, host = HOST): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const { socket, finish } = openBare(port, timeoutMs, reject, host);
    socket.once('connect', () => {
      const t1 = process.hrtime.bigint();
      finish();
      resolve(t1 - t0);
    });
  });
}

/** A persistent connection doing ping-pong: write, wait for the reply, repeat. */
export async function barePersistent(port: number, count: number): Promise<bigint[]> {
  const socket: Socket = connect({ host: HOST, port, noDelay: true });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const rtts: bigint[] = [];
  try {
    for (let seq = 1; seq <= count; seq++) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timeout')), 1000);
        let start = 0n;
        socket.once('data', () => {
          rtts.push(process.hrtime.bigint() - start);
          clearTimeout(timer);
          resolve();
        });
        start = process.hrtime.bigint();
        socket.write(pingLine(seq));
      });
    }
  } finally {
    socket.resetAndDestroy();
  }
  return rtts;
}
