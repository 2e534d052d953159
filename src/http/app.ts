import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { StatusBoard } from '../status/status.js';
import { renderIndex } from './page.js';

export interface AppDeps {
  readonly registry: Registry;
  readonly status: StatusBoard;
  readonly version: string;
  /** True once the service listens and schedules. */
  readonly ready: () => boolean;
  readonly onError?: (error: unknown, req: Request) => void;
}

/** The HTTP surface. Built without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const routes: [string, (req: Request, res: Response) => unknown][] = [
    [
      '/metrics',
      async (_req, res) => {
        const body = await deps.registry.metrics();
        res.type(deps.registry.contentType).send(body);
      },
    ],
    ['/-/healthy', (_req, res) => res.type('text/plain').send('tcpping is Healthy.\n')],
    [
      '/-/ready',
      (_req, res) =>
        deps.ready()
          ? res.type('text/plain').send('tcpping is Ready.\n')
          : res.status(503).type('text/plain').send('tcpping is not ready yet: still starting.\n'),
    ],
    ['/api/v1/targets', (_req, res) => res.json({ status: 'success', data: deps.status.list() })],
    ['/', (_req, res) => res.type('html').send(renderIndex(deps.version, deps.status.list()))],
  ];
  for (const [path, handler] of routes) {
    app.get(path, handler);
    app.all(path, (req, res) => {
      res.set('Allow', 'GET, HEAD').status(405).type('text/plain').send(`${req.method} is not allowed on ${path}; use GET.\n`);
    });
  }
  app.use((req, res) => {
    res.status(404).type('text/plain').send(`Not found: ${req.path}. Endpoints: /, /metrics, /-/healthy, /-/ready, /api/v1/targets.\n`);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    deps.onError?.(error, req);
    res
      .status(500)
      .type('text/plain')
      .send(`Internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  return app;
}
