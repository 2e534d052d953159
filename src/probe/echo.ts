import type { OnReadOpts, Socket } from 'node:net';
import { type BareHandshake, UV_EOF } from '../kernel/bare-tcp.js';
import { encodePing, expectedReply } from '../protocol/line.js';
import { type Attempt, attempt, discard, discardOpened } from './attempt.js';
import { systemError } from './errno.js';
import type { KeptConnection, Prober } from './types.js';

/**
 * Echo mode: send `ping <seq> <time>\n`, wait for the upper-cased line. A new connection per ping
 * by default (a fresh source port each time, so ECMP path problems show), on a bare handle where
 * the context offers one (as connect mode's handshakes: no net.Socket and its stream per ping);
 * with `kept`, one net.Socket is reused across pings and replaced after any failure.
 */
export const echoProbe: Prober = (request, context) =>
  attempt(request, context, (a) => {
    const line = encodePing(request.seq, context.clock.wallSeconds());
    const expected = expectedReply(line.slice(0, -1));
    if (!request.kept && a.openBare(false, new BarePing(a, line, expected), onBareEnd, onBareRead)) return discardOpened;
    const reused = usable(request.kept);
    const socket: ReadingSocket = reused ?? a.open(false, onread);
    if (reused) a.reuse(reused);
    let received = '';

    const send = () => a.send(socket, () => socket.write(line));
    const onData = (text: string, at: number) => {
      received += text;
      checkReply(a, received, expected, at);
    };
    const onEnd = () => a.fail('closed', closedAfter(received));
    const onError = (error: Error) => a.failWith(error);
    const onConnect = () => {
      if (a.connected()) send();
    };

    socket[reader] = onData;
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.on('error', onError);
    if (reused) send();
    else socket.once('connect', onConnect);

    // Every listener that holds the ping goes with it: node keeps a closed socket past young
    // collections, and a listener left on it kept the attempt, its promise and its round too.
    return (ok) => {
      socket[reader] = undefined;
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('connect', onConnect);
      if (ok && request.kept) {
        socket.off('error', onError);
        keep(request.kept, socket);
      } else {
        // An error after the end must not become an uncaught exception: a shared listener stays,
        // not onError, which would keep the whole ping alive as long as node keeps the socket.
        socket.off('error', onError);
        socket.on('error', ignoreLateError);
        if (request.kept?.socket === socket) request.kept.socket = undefined;
        discard(socket);
      }
    };
  });

function ignoreLateError(): void {}

/** One ping on a bare connection: what the callbacks shared by all pings need of it. */
class BarePing {
  received = '';
  /** What the write returned: 0, or the negative errno of a write that failed at once. */
  written = 0;
  constructor(
    readonly a: Attempt,
    readonly line: string,
    readonly expected: string,
  ) {}
}

/** How the handshake ended: connected, the line goes out (as 'connect' then write on a net.Socket), or the connect's error. */
function onBareEnd(connection: BareHandshake<BarePing>, status: number): void {
  const ping = connection.owner;
  if (!ping) return;
  const { a } = ping;
  if (status !== 0) {
    if (!connection.destroyed) a.connectFailed(connection);
    a.failWith(systemError(-status, 'connect'));
    return;
  }
  if (!a.connected()) return;
  const reading = connection.read();
  if (reading !== 0) {
    a.failWith(systemError(-reading, 'read'));
    return;
  }
  // No TCP_NODELAY (net.Socket's path sets it): Nagle never holds the one write of a fresh connection.
  a.send(connection, writeLine);
  if (ping.written !== 0) a.failWith(systemError(-ping.written, 'write'));
}

/** Attempt.send's write for a bare connection: one function for every ping, no closure each. */
function writeLine(connection: BareHandshake<BarePing>): void {
  const ping = connection.owner;
  if (ping) ping.written = connection.write(ping.line);
}

/** What the connection read: the reply so far, or its end (as 'end' on a net.Socket) or error (as 'error'). */
function onBareRead(
  connection: BareHandshake<BarePing>,
  text: string | undefined,
  status: number,
  at: number,
  syscall: 'read' | 'write',
): void {
  const ping = connection.owner;
  if (!ping) return;
  if (text !== undefined) {
    ping.received += text;
    checkReply(ping.a, ping.received, ping.expected, at);
  } else if (status === UV_EOF) {
    ping.a.fail('closed', closedAfter(ping.received));
  } else ping.a.failWith(systemError(-status, syscall));
}

/** The ping a socket's bytes are for (as latin1 text, with when they came); none between a kept connection's pings. */
const reader = Symbol('reader');
type ReadingSocket = Socket & { [reader]?: ((text: string, at: number) => void) | undefined };

/**
 * Every echo socket reads into one buffer (node:net's `onread`), its bytes taken as text at once:
 * by default node allocates 64 KiB for each read and hands a Buffer of it through the stream's
 * 'data' machinery (a plain node:net loop of echo pings: 107.8 → 97.7 µs of CPU a ping with the
 * option; README, "Bare handshakes"). A reply longer than this comes in several reads, as it
 * would in several segments.
 */
const onread: OnReadOpts = {
  buffer: Buffer.allocUnsafe(4096),
  callback(this: ReadingSocket, length, buffer) {
    const at = performance.now(); // taken first, before any work on the bytes
    this[reader]?.((buffer as Buffer).toString('latin1', 0, length), at);
    return true;
  },
};

function closedAfter(received: string): string {
  return received === '' ? 'connection closed without a reply' : `connection closed after partial reply "${received}"`;
}

function checkReply(a: Attempt, received: string, expected: string, at: number): void {
  const newline = received.indexOf('\n');
  if (newline === -1) {
    // A classic server may answer without a newline: accept the exact reply as soon as it is whole.
    if (received === expected) a.replied(at, received);
    else if (received.length > expected.length) a.fail('mismatch', `reply "${printable(received)}" is not "${expected}"`);
    return;
  }
  const reply = received.slice(0, newline).replace(/\r$/, '');
  if (reply === expected && newline === received.length - 1) a.replied(at, reply);
  else if (reply === expected) a.fail('mismatch', `extra bytes after the reply "${expected}"`);
  else a.fail('mismatch', `reply "${printable(reply)}" is not "${expected}"`);
}

function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function usable(kept: KeptConnection | undefined): Socket | undefined {
  const socket = kept?.socket;
  return socket && !socket.destroyed && socket.writable && !socket.connecting ? socket : undefined;
}

/** Between pings a kept socket needs its own handlers so an idle close or error is not fatal. */
function keep(kept: KeptConnection, socket: Socket): void {
  if (kept.socket === socket) return;
  kept.socket = socket;
  socket.on('error', () => {});
  socket.once('close', () => {
    if (kept.socket === socket) kept.socket = undefined;
  });
}

export function closeKept(kept: KeptConnection): void {
  if (kept.socket) discard(kept.socket);
  kept.socket = undefined;
}
