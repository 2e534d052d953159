import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { yieldToLoop } from '../metrics/exposition.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ReloadResult } from '../runtime/reloader.js';
import type { StatusBoard } from '../status/status.js';
import { systemClock } from '../util/clock.js';
import { drainedOrClosed } from './backpressure.js';
import { metricsRoute } from './metrics-route.js';
import { renderIndex, type ServiceState } from './page.js';
import { reply, replyTypes } from './reply.js';
import { type Guard, type Route, router } from './router.js';
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
  readonly onError?: (error: unknown, req: IncomingMessage) => void;
  /** Reuse of rendered views between requests (a test passes one on a fake clock). */
  readonly snapshots?: Snapshots;
  /** Runs before every route: the web config's headers, rate limit and basic auth. */
  readonly guard?: Guard;
  /** ICMP capture and the last config load, for the status page. */
  readonly serviceState?: () => ServiceState;
}

/** The names of `?target=a&target=b` (or `?target=a,b`). */
function targetNames(query: URLSearchParams): string[] {
  return query
    .getAll('target')
    .flatMap((v) => v.split(','))
    .filter((v) => v !== '');
}

/** `?target=a&target=b` (or `?target=a,b`): those targets only, by exact name. */
function targetFilter(query: URLSearchParams): ((name: string) => boolean) | undefined {
  if (!query.has('target')) return undefined;
  const names = new Set(targetNames(query));
  return (name) => names.has(name);
}

/**
 * Writes chunks with backpressure (a slow reader holds its own response, not the process) and
 * with the event loop free between two chunks: a 10 MB body is never one long stretch of copying
 * while pings wait for their replies to be read.
 */
async function sendChunks(res: ServerResponse, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  let first = true;
  for await (const chunk of chunks) {
    if (!first) await yieldToLoop();
    first = false;
    if (res.destroyed) return; // the client went away
    if (!res.write(chunk)) await drainedOrClosed(res, res);
  }
  res.end();
}

/** The HTTP surface, a plain node:http request listener. Built without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): RequestListener {
  const views = deps.snapshots ?? new Snapshots(systemClock);
  const { status } = deps;
  const routes: Route[] = [
    { method: 'GET', path: '/metrics', handle: metricsRoute(deps.metrics) },
    { method: 'GET', path: '/-/healthy', handle: (_req, res) => reply(res, 200, 'text', 'tcpping is Healthy.\n') },
    {
      method: 'GET',
      path: '/-/ready',
      handle: (_req, res) =>
        deps.ready()
          ? reply(res, 200, 'text', 'tcpping is Ready.\n')
          : reply(res, 503, 'text', 'tcpping is not ready yet: still starting.\n'),
    },
    // The rounds' history is large (120 rounds a target): only on request.
    {
      method: 'GET',
      path: '/api/v1/targets',
      handle: async (_req, res, { query }) => {
        const withHistory = query.get('history') === '1' || query.get('history') === 'true';
        const wanted = targetFilter(query);
        const key = `targets:${withHistory}:${wanted ? JSON.stringify([...new Set(targetNames(query))].sort()) : '*'}`;
        const chunks = await views.get(key, status.version, () => {
          const data = status
            .list(withHistory)
            .filter((t) => wanted?.(t.name) ?? true)
            .map(({ history, ...t }) => (withHistory ? { ...t, history } : t));
          return jsonChunks('{"status":"success","data":[', data, ']}');
        });
        res.setHeader('Content-Type', replyTypes.json);
        await sendChunks(res, chunks);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/self',
      handle: (_req, res) => reply(res, 200, 'json', JSON.stringify({ name: deps.selfName ?? '', version: deps.version })),
    },
    {
      method: 'GET',
      path: '/',
      handle: async (_req, res) => {
        const service = deps.serviceState?.();
        // The service's state (capture, last load) is part of the page: a change of it is a change too.
        const version = `${status.version}|${JSON.stringify(service ?? null)}`;
        const [page] = await views.get('page', version, async () => [renderIndex(deps.version, status.list(), service ? { service } : {})]);
        reply(res, 200, 'html', page ?? '');
      },
    },
    // As Prometheus: POST only, and only with the lifecycle API enabled.
    { method: 'POST', path: '/-/reload', handle: (_req, res) => reload(deps, res) },
  ];
  return router({
    routes,
    ...(deps.guard ? { guard: deps.guard } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
    notFound: (_req, res, { path }) =>
      reply(
        res,
        404,
        'text',
        `Not found: ${path}. Endpoints: /, /metrics, /-/healthy, /-/ready, /-/reload, /api/v1/targets, /api/v1/self.\n`,
      ),
  });
}

/** POST /-/reload: what changed, or why nothing did. */
async function reload(deps: AppDeps, res: ServerResponse): Promise<void> {
  if (!deps.reload || !deps.lifecycle?.()) {
    reply(res, 403, 'text', 'Lifecycle API is not enabled (set web.enableLifecycle: true).\n');
    return;
  }
  const result = await deps.reload();
  if (!result.ok) {
    reply(res, 500, 'text', `Reload failed; the running configuration stays:\n${result.problems.join('\n')}\n`);
    return;
  }
  const { added, removed, changed, unchanged } = result.diff;
  const lines = [
    `Reloaded: ${added.length} added, ${removed.length} removed, ${changed.length} changed, ${unchanged.length} unchanged.`,
    ...(result.applied.length > 0 ? [`Applied live: ${result.applied.join(', ')}.`] : []),
    ...(result.needRestart.length > 0 ? [`Changed, but needs a restart to take effect: ${result.needRestart.join(', ')}.`] : []),
    ...result.problems,
  ];
  reply(res, 200, 'text', `${lines.join('\n')}\n`);
}
