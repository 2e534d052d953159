import { createServer, type RequestListener, type Server } from 'node:http';
import { ListenError } from '../util/errors.js';
import { formatHostPort } from '../util/hostport.js';

/** Listens, turning a busy or forbidden address into a ListenError that names it. */
export async function listenHttp(app: RequestListener, host: string, port: number): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new ListenError('HTTP', formatHostPort({ host, port }), error));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => {});
  return server;
}

export async function closeHttp(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
