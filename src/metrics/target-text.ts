import { formatValue, header, labelPairs, yieldToLoop } from './exposition.js';
import type { LatencyHistogram as Histogram } from './latency-histogram.js';
import { type Family, families, type Selection, type Series } from './target-families.js';
import { TextWriter } from './text-writer.js';

/** The per-target families in the text format (0.0.4): histograms with their classic buckets only. */
const utf8 = new TextEncoder();
const headers = new Map(families.map((f) => [f, utf8.encode(header(f.name, f.type, f.help))]));

function linePrefixes(f: Family, t: Series): string[] {
  if (!f.histogram) return f.labels(t).map((labels) => `${f.name}{${labelPairs(labels)}} `);
  const sel = labelPairs(t.sel);
  const les = [...f.histogram(t).bounds.map(String), '+Inf'];
  return [...les.map((le) => `${f.name}_bucket{${sel},le="${le}"} `), `${f.name}_sum{${sel}} `, `${f.name}_count{${sel}} `];
}

function prefixesOf(f: Family, t: Series): Uint8Array[] {
  const cached = f.volatile ? undefined : t.textPrefixes.get(f);
  if (cached) return cached;
  const prefixes = linePrefixes(f, t).map((line) => utf8.encode(line));
  if (!f.volatile) t.textPrefixes.set(f, prefixes);
  return prefixes;
}

/**
 * A histogram without its classic buckets keeps the +Inf one (the count), as client_golang writes a
 * native-only histogram in text: a text scraper still has a valid histogram, its rate and average.
 */
function writeWithoutClassic(w: TextWriter, f: Family, t: Series): void {
  const prefixes = prefixesOf(f, t);
  const h = (f.histogram as (t: Series) => Histogram)(t);
  const inf = prefixes.length - 3;
  w.line(prefixes[inf] as Uint8Array, formatValue(h.count));
  w.line(prefixes[inf + 1] as Uint8Array, formatValue(h.sum));
  w.line(prefixes[inf + 2] as Uint8Array, formatValue(h.count));
}

function writeSeries(w: TextWriter, f: Family, t: Series): void {
  const prefixes = prefixesOf(f, t);
  if (f.histogram) {
    const h = f.histogram(t);
    let cumulative = 0;
    let text = '0';
    for (let i = 0; i < h.classic.length; i++) {
      const count = h.classic[i] as number;
      // Most buckets repeat the value before them: format only a new one.
      if (count !== 0) {
        cumulative += count;
        text = formatValue(cumulative);
      }
      w.line(prefixes[i] as Uint8Array, text);
    }
    w.line(prefixes[h.classic.length] as Uint8Array, formatValue(h.sum));
    w.line(prefixes[h.classic.length + 1] as Uint8Array, formatValue(h.count));
    return;
  }
  const values = (f.values as (t: Series) => ArrayLike<number>)(t);
  for (let i = 0; i < prefixes.length; i++) w.line(prefixes[i] as Uint8Array, formatValue(values[i] as number));
}

/** The text body in chunks of about `chunkBytes`, with a turn of the event loop after each. */
export async function* textChunks(targets: readonly Series[], selection: Selection, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const w = new TextWriter();
  for (const f of selection.families) {
    w.raw(headers.get(f) as Uint8Array);
    const write = selection.withoutClassic.has(f) ? writeWithoutClassic : writeSeries;
    for (const t of targets) {
      write(w, f, t);
      if (w.length >= chunkBytes) {
        yield w.take();
        await yieldToLoop();
      }
    }
  }
  if (w.length > 0) yield w.take();
}
