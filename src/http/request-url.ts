/** The path and query of a request, as the routes see them. */
export interface RequestUrl {
  /** As sent, not percent-decoded: the routes are plain ASCII, so a bad escape (`/%`) is simply not found. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/** `scheme://authority` at the start of an absolute-form target (what a client talking to a proxy sends). */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The path and query of a request target: origin-form `/path?query`, or absolute-form
 * `http://host/path?query`, whose path is `/` when empty. A fragment is dropped. Never throws:
 * URLSearchParams keeps a malformed escape (`?target=%`) as it is.
 */
export function requestUrl(target: string): RequestUrl {
  const hash = target.indexOf('#');
  let rest = hash < 0 ? target : target.slice(0, hash);
  const absolute = rest.startsWith('/') ? null : ABSOLUTE.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length);
  const question = rest.indexOf('?');
  const path = question < 0 ? rest : rest.slice(0, question);
  return {
    path: absolute && path === '' ? '/' : path,
    query: new URLSearchParams(question < 0 ? '' : rest.slice(question + 1)),
  };
}
