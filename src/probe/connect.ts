import type { Socket } from 'node:net';
import type { BareHandshake } from '../kernel/bare-tcp.js';
import { type Attempt, attempt, attemptOf, discardOpened } from './attempt.js';
import { systemError } from './errno.js';
import type { Prober } from './types.js';

/** TCP handshake only, against any TCP service; RTT = handshake time (the kernel's first RTT sample where it can be asked). */
export const connectProbe: Prober = (request, context) => attempt(request, context, handshake);

/**
 * The listeners and the cleanup are made once, not per ping (at scale this runs thousands of times
 * a second). A bare handle where the context offers one, else a net.Socket: the same verdicts,
 * without a stream's garbage per ping (README, "Bare handshakes").
 */
function handshake(a: Attempt): (ok: boolean, a: Attempt) => void {
  if (a.openHandshake(onHandshakeEnd)) return discardOpened;
  const socket = a.open(true);
  socket.on('connect', onConnect);
  socket.on('error', onError);
  return discardOpened;
}

/** How a bare handshake ended: as 'connect', or as 'connectionAttemptFailed' then 'error' with node:net's error. */
function onHandshakeEnd(socket: BareHandshake<Attempt>, status: number): void {
  const a = socket.owner;
  if (!a) return;
  if (status === 0) {
    if (a.connected()) a.succeed(a.connectSeconds as number);
    return;
  }
  if (!socket.destroyed) a.connectFailed(socket);
  a.failWith(systemError(-status, 'connect'));
}

function onConnect(this: Socket): void {
  const a = attemptOf(this);
  if (a?.connected()) a.succeed(a.connectSeconds as number);
}

function onError(this: Socket, error: Error): void {
  attemptOf(this)?.failWith(error);
}
