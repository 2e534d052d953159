import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { reply } from './reply.js';
import { type RequestUrl, requestUrl } from './request-url.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: RequestUrl) => unknown;

/** Runs before every route. True: the request goes on; false: the guard has answered it (401, 429). */
export type Guard = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface Route {
  readonly path: string;
  /** A GET route answers HEAD too: Node sends its headers and leaves the body out. */
  readonly method: 'GET' | 'POST';
  readonly handle: Handler;
}

export interface RouterOptions {
  readonly routes: readonly Route[];
  readonly guard?: Guard;
  /** No route has this path. */
  readonly notFound: Handler;
  /** A handler (or the guard) threw; the client gets a 500 with the message. */
  readonly onError?: (error: unknown, req: IncomingMessage) => void;
}

/** Paths match without regard to case and with one trailing slash allowed, as express's router did. */
function routeKey(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * The web port's few routes over plain node:http: one method per path, any other method a 405
 * naming the one to use (with Allow), an unknown path `notFound`, a thrown handler a 500.
 */
export function router(options: RouterOptions): RequestListener {
  const byKey = new Map(options.routes.map((route) => [routeKey(route.path), route]));
  const dispatch = async (req: IncomingMessage, res: ServerResponse) => {
    if (options.guard && !(await options.guard(req, res))) return;
    const url = requestUrl(req.url ?? '/');
    const route = byKey.get(routeKey(url.path));
    if (!route) return options.notFound(req, res, url);
    const allowed = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
    if (allowed.includes(req.method ?? '')) return route.handle(req, res, url);
    res.setHeader('Allow', allowed.join(', '));
    reply(res, 405, 'text', `${req.method} is not allowed on ${route.path}; use ${route.method}.\n`);
  };
  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      options.onError?.(error, req);
      // Halfway through a streamed body, a status can no longer be sent: cut the response short.
      if (res.headersSent) res.destroy();
      else reply(res, 500, 'text', `Internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  };
}
