import type { Socket } from 'node:net';
import { type Attempt, attempt, attemptOf } from './attempt.js';
import type { Prober } from './types.js';

/** TCP handshake only, against any TCP service; RTT = handshake time (the kernel's first RTT sample where it can be asked). */
export const connectProbe: Prober = (request, context) => attempt(request, context, handshake);

/** The listeners and the cleanup are made once, not per ping (at scale this runs thousands of times a second). */
function handshake(a: Attempt): (ok: boolean, a: Attempt) => void {
  const socket = a.open(true);
  socket.on('connect', onConnect);
  socket.on('error', onError);
  return close;
}

function onConnect(this: Socket): void {
  const a = attemptOf(this);
  if (a?.connected()) a.succeed(a.connectSeconds as number);
}

function onError(this: Socket, error: Error): void {
  attemptOf(this)?.failWith(error);
}

function close(_ok: boolean, a: Attempt): void {
  a.discardSocket();
}
