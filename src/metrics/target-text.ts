import { header, labelPairs, yieldToLoop } from './exposition.js';
import type { LatencyHistogram as Histogram } from './latency-histogram.js';
import { type Family, families, type Selection, type Series } from './target-families.js';
import { type Prefixes, packPrefixes, TextWriter } from './text-writer.js';

/** The per-target families in the text format (0.0.4): histograms with their classic buckets only. */
const utf8 = new TextEncoder();
const headers = new Map(families.map((f) => [f, utf8.encode(header(f.name, f.type, f.help))]));

/** What a family of series that come and go writes for a target that has none (most targets, most families). */
const noPrefixes = packPrefixes([]);

/** A family's line prefixes for one target, made at the first scrape and kept (see Prefixes). */
function prefixesOf(f: Family, t: Series): Prefixes {
  const cached = t.textPrefixes[f.index];
  if (cached) return cached;
  const labels = f.labels(t);
  if (labels.length === 0) return noPrefixes;
  const prefixes = packPrefixes(labels.map((l) => `${f.name}{${labelPairs(l)}} `));
  if (!f.volatile) t.textPrefixes[f.index] = prefixes;
  return prefixes;
}

/**
 * A histogram's lines around a target's labels (`name_bucket{`, then `,le="…"} ` per bucket,
 * `name_sum{`, `name_count{`, `} `), made once per family and bucket layout: the target's own
 * part is its labels alone, kept once for all its histograms, where whole lines per target (two
 * histograms of 37 default buckets, 80 lines) were most of what a text scrape left in memory.
 */
interface HistogramLines {
  readonly bounds: readonly number[];
  readonly bucket: Buffer;
  readonly les: readonly Buffer[];
  readonly sum: Buffer;
  readonly count: Buffer;
}
const histogramLines = new Map<Family, HistogramLines>();
const close = Buffer.from('} ');

function linesOf(f: Family, bounds: readonly number[]): HistogramLines {
  const known = histogramLines.get(f);
  if (known?.bounds === bounds) return known;
  const les = [...bounds.map(String), '+Inf'].map((le) => Buffer.from(`,le="${le}"} `));
  const lines = {
    bounds,
    bucket: Buffer.from(`${f.name}_bucket{`),
    les,
    sum: Buffer.from(`${f.name}_sum{`),
    count: Buffer.from(`${f.name}_count{`),
  };
  histogramLines.set(f, lines);
  return lines;
}

function selOf(t: Series): Buffer {
  t.textSel ??= Buffer.from(labelPairs(t.sel));
  return t.textSel;
}

function bucketLine(w: TextWriter, lines: HistogramLines, sel: Buffer, i: number, count: number): void {
  w.raw(lines.bucket);
  w.raw(sel);
  w.raw(lines.les[i] as Buffer);
  w.number(count);
}

function sumAndCount(w: TextWriter, lines: HistogramLines, sel: Buffer, h: Histogram): void {
  w.raw(lines.sum);
  w.raw(sel);
  w.raw(close);
  w.number(h.sum);
  w.raw(lines.count);
  w.raw(sel);
  w.raw(close);
  w.number(h.count);
}

/**
 * A histogram without its classic buckets keeps the +Inf one (the count), as client_golang writes a
 * native-only histogram in text: a text scraper still has a valid histogram, its rate and average.
 */
function writeWithoutClassic(w: TextWriter, f: Family, t: Series): void {
  const h = (f.histogram as (t: Series) => Histogram)(t);
  const lines = linesOf(f, h.bounds);
  const sel = selOf(t);
  bucketLine(w, lines, sel, lines.les.length - 1, h.count);
  sumAndCount(w, lines, sel, h);
}

function writeSeries(w: TextWriter, f: Family, t: Series): void {
  if (f.histogram) {
    const h = f.histogram(t);
    const lines = linesOf(f, h.bounds);
    const sel = selOf(t);
    let cumulative = 0;
    for (let i = 0; i < h.classic.length; i++) {
      cumulative += h.classic[i] as number;
      bucketLine(w, lines, sel, i, cumulative);
    }
    sumAndCount(w, lines, sel, h);
    return;
  }
  const prefixes = prefixesOf(f, t);
  const values = (f.values as (t: Series) => ArrayLike<number>)(t);
  for (let i = 0; i < prefixes.ends.length; i++) w.numberLine(prefixes, i, values[i] as number);
}

/** The text body in chunks of about `chunkBytes`, with a turn of the event loop after each. */
export async function* textChunks(targets: readonly Series[], selection: Selection, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const w = new TextWriter();
  for (const f of selection.families) {
    w.raw(headers.get(f) as Uint8Array);
    const write = selection.withoutClassic.has(f) ? writeWithoutClassic : writeSeries;
    // Indexed: for-of made an iterator result per target and family (240,000 a scrape at 10,000 targets).
    for (let i = 0; i < targets.length; i++) {
      write(w, f, targets[i] as Series);
      if (w.length >= chunkBytes) {
        yield w.take();
        await yieldToLoop();
      }
    }
  }
  if (w.length > 0) yield w.take();
}
