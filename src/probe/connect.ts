import { attempt, discard } from './attempt.js';
import type { Prober } from './types.js';

/** TCP handshake only, against any TCP service; RTT = handshake time (the kernel's first RTT sample where it can be asked). */
export const connectProbe: Prober = (request, context) =>
  attempt(request, context, (a) => {
    const socket = a.open(true);
    socket.on('connect', () => {
      if (a.connected()) a.succeed(a.connectSeconds as number);
    });
    socket.on('error', (error) => a.failWith(error));
    return () => discard(socket);
  });
