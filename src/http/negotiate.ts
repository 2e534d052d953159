import type { ExpositionFormat } from '../metrics/exposition.js';

/** Content negotiation for /metrics: which exposition format, and whether to gzip. */
interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

/** An Accept or Accept-Encoding header as a list of ranges with their parameters and q (1 when absent, 0 when unreadable). */
function parseList(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';');
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    return { type: type.trim().toLowerCase(), params, q: Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0 };
  });
}

const isDelimitedProtobuf = (r: MediaRange) =>
  r.type === 'application/vnd.google.protobuf' &&
  r.params.get('proto') === 'io.prometheus.client.MetricFamily' &&
  r.params.get('encoding') === 'delimited';

const textTypes = new Set(['text/plain', 'application/openmetrics-text', 'text/*', '*/*']);

/**
 * Protobuf (delimited MetricFamily) only when asked for by name, and at least as much as text;
 * text 0.0.4 for everyone else, also for Accept: * / * and no Accept at all. Prometheus with
 * --enable-feature=native-histograms lists the protobuf type first (q = 1); without the flag it
 * does not list it at all.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'text';
  let protobuf = 0;
  let text = 0;
  for (const r of parseList(accept)) {
    if (isDelimitedProtobuf(r)) protobuf = Math.max(protobuf, r.q);
    else if (textTypes.has(r.type)) text = Math.max(text, r.q);
  }
  return protobuf > 0 && protobuf >= text ? 'protobuf' : 'text';
}

/** Whether Accept-Encoding allows gzip: q > 0 for gzip (or x-gzip), else for *. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const r of parseList(acceptEncoding)) {
    if (r.type === 'gzip' || r.type === 'x-gzip') gzip = Math.max(gzip ?? 0, r.q);
    else if (r.type === '*') any = r.q;
  }
  return (gzip ?? any ?? 0) > 0;
}
