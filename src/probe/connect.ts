import { attempt, discard, secondsSince } from './attempt.js';
import type { Prober } from './types.js';

/** TCP handshake only, against any TCP service; RTT = handshake time. */
export const connectProbe: Prober = (request, context) =>
  attempt(request, context, (a) => {
    const start = process.hrtime.bigint();
    const socket = context.connect({ host: request.host, port: request.port, noDelay: true });
    a.track(socket);
    socket.once('connect', () => {
      a.connectSeconds = secondsSince(start);
      a.succeed(a.connectSeconds);
    });
    socket.on('error', (error) => a.failWith(error));
    return () => discard(socket);
  });
