import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { yieldToLoop } from '../metrics/exposition.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ReloadResult } from '../runtime/reloader.js';
import type { StatusBoard } from '../status/status.js';
import { systemClock } from '../util/clock.js';
import { drainedOrClosed } from './backpressure.js';
import { metricsRoute } from './metrics-route.js';
import { renderIndex, type ServiceState } from './page.js';
import { jsonChunks, Snapshots } from './snapshot.js';

export interface AppDeps {
  readonly metrics: Pick<Metrics, 'expositionChunks'>;
  readonly status: StatusBoard;
  readonly version: string;
  /** True once the service listens and schedules. */
  readonly ready: () => boolean;
  /** This agent's name in a mesh (GET /api/v1/self), so peers can name their targets by it. */
  readonly selfName?: string;
  /** Whether POST /-/reload is enabled (web.enableLifecycle), asked per request: reloads change it. */
  readonly lifecycle?: () => boolean;
  readonly reload?: () => Promise<ReloadResult>;
  readonly onError?: (error: unknown, req: Request) => void;
  /** Reuse of rendered views between requests (a test passes one on a fake clock). */
  readonly snapshots?: Snapshots;
  /** Runs before every route: the web config's headers, rate limit and basic auth. */
  readonly guard?: RequestHandler;
  /** ICMP capture and the last config load, for the status page. */
  readonly serviceState?: () => ServiceState;
}

/** The names of `?target=a&target=b` (or `?target=a,b`). */
function targetNames(query: Request['query']): string[] {
  const raw = query.target;
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).filter((v) => v !== '');
}

/** `?target=a&target=b` (or `?target=a,b`): those targets only, by exact name. */
function targetFilter(query: Request['query']): ((name: string) => boolean) | undefined {
  if (query.target === undefined) return undefined;
  const names = new Set(targetNames(query));
  return (name) => names.has(name);
}

/**
 * Writes chunks with backpressure (a slow reader holds its own response, not the process) and
 * with the event loop free between two chunks: a 10 MB body is never one long stretch of copying
 * while pings wait for their replies to be read.
 */
async function sendChunks(res: Response, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  let first = true;
  for await (const chunk of chunks) {
    if (!first) await yieldToLoop();
    first = false;
    if (res.destroyed) return; // the client went away
    if (!res.write(chunk)) await drainedOrClosed(res, res);
  }
  res.end();
}

/** The HTTP surface. Built without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const views = deps.snapshots ?? new Snapshots(systemClock);
  const { status } = deps;
  app.disable('x-powered-by');
  app.set('etag', false);
  if (deps.guard) app.use(deps.guard);

  const routes: [string, (req: Request, res: Response) => unknown][] = [
    ['/metrics', metricsRoute(deps.metrics)],
    ['/-/healthy', (_req, res) => res.type('text/plain').send('tcpping is Healthy.\n')],
    [
      '/-/ready',
      (_req, res) =>
        deps.ready()
          ? res.type('text/plain').send('tcpping is Ready.\n')
          : res.status(503).type('text/plain').send('tcpping is not ready yet: still starting.\n'),
    ],
    // The rounds' history is large (120 rounds a target): only on request.
    [
      '/api/v1/targets',
      async (req, res) => {
        const withHistory = req.query.history === '1' || req.query.history === 'true';
        const wanted = targetFilter(req.query);
        const key = `targets:${withHistory}:${wanted ? JSON.stringify([...new Set(targetNames(req.query))].sort()) : '*'}`;
        const chunks = await views.get(key, status.version, () => {
          const data = status
            .list(withHistory)
            .filter((t) => wanted?.(t.name) ?? true)
            .map(({ history, ...t }) => (withHistory ? { ...t, history } : t));
          return jsonChunks('{"status":"success","data":[', data, ']}');
        });
        res.type('json');
        await sendChunks(res, chunks);
      },
    ],
    ['/api/v1/self', (_req, res) => res.json({ name: deps.selfName ?? '', version: deps.version })],
    [
      '/',
      async (_req, res) => {
        const service = deps.serviceState?.();
        // The service's state (capture, last load) is part of the page: a change of it is a change too.
        const version = `${status.version}|${JSON.stringify(service ?? null)}`;
        const [page] = await views.get('page', version, async () => [renderIndex(deps.version, status.list(), service ? { service } : {})]);
        res.type('html').send(page);
      },
    ],
  ];
  // As Prometheus: POST only, and only with the lifecycle API enabled.
  app.post('/-/reload', async (_req, res) => {
    if (!deps.reload || !deps.lifecycle?.()) {
      res.status(403).type('text/plain').send('Lifecycle API is not enabled (set web.enableLifecycle: true).\n');
      return;
    }
    res.type('text/plain');
    const result = await deps.reload();
    if (!result.ok) {
      res.status(500).send(`Reload failed; the running configuration stays:\n${result.problems.join('\n')}\n`);
      return;
    }
    const { added, removed, changed, unchanged } = result.diff;
    const lines = [
      `Reloaded: ${added.length} added, ${removed.length} removed, ${changed.length} changed, ${unchanged.length} unchanged.`,
      ...(result.applied.length > 0 ? [`Applied live: ${result.applied.join(', ')}.`] : []),
      ...(result.needRestart.length > 0 ? [`Changed, but needs a restart to take effect: ${result.needRestart.join(', ')}.`] : []),
      ...result.problems,
    ];
    res.send(`${lines.join('\n')}\n`);
  });
  app.all('/-/reload', (req, res) => {
    res.set('Allow', 'POST').status(405).type('text/plain').send(`${req.method} is not allowed on /-/reload; use POST.\n`);
  });
  for (const [path, handler] of routes) {
    app.get(path, handler);
    app.all(path, (req, res) => {
      res.set('Allow', 'GET, HEAD').status(405).type('text/plain').send(`${req.method} is not allowed on ${path}; use GET.\n`);
    });
  }
  app.use((req, res) => {
    res
      .status(404)
      .type('text/plain')
      .send(`Not found: ${req.path}. Endpoints: /, /metrics, /-/healthy, /-/ready, /-/reload, /api/v1/targets, /api/v1/self.\n`);
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
