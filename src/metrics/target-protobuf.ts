import { yieldToLoop } from './exposition.js';
import { ClassicLayout, encodeLabels, familyHeader, type MetricFamilyWriter } from './family-writer.js';
import { type Family, families, type Selection, type Series } from './target-families.js';

/** The per-target families in the protobuf format: histograms with classic and (when wanted) native buckets. */
const headers = new Map(families.map((f) => [f, familyHeader(f.name, f.help, f.type)]));

function labelsOf(f: Family, t: Series): Uint8Array[] {
  const cached = t.protoLabels[f.index];
  if (cached) return cached;
  const pairs = f.labels(t);
  // Most targets have no series in the families whose series come and go.
  if (pairs.length === 0) return noLabels;
  const labels = pairs.map(encodeLabels);
  if (!f.volatile) t.protoLabels[f.index] = labels;
  return labels;
}

const noLabels: Uint8Array[] = [];

/** No classic buckets: a histogram whose `_bucket` series are dropped. */
const noClassic = new ClassicLayout([]);

export interface ProtobufOptions {
  readonly layout: ClassicLayout;
  readonly selection: Selection;
  /** Whether histograms carry their native buckets too. */
  readonly native: boolean;
  /** Bytes written between two turns of the event loop. */
  readonly chunkBytes: number;
}

/**
 * One delimited MetricFamily per family, each yielded whole (its length prefix needs its size),
 * with a turn of the event loop after about every `chunkBytes` written while it is built.
 */
export async function* protobufChunks(
  w: MetricFamilyWriter,
  targets: readonly Series[],
  options: ProtobufOptions,
): AsyncGenerator<Uint8Array> {
  let yieldedAt = 0;
  for (const f of options.selection.families) {
    w.beginFamily(headers.get(f) as Uint8Array);
    const layout = options.selection.withoutClassic.has(f) ? noClassic : options.layout;
    // Indexed: for-of made an iterator result per target and family.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k] as Series;
      const labels = labelsOf(f, t);
      if (f.histogram) {
        const h = f.histogram(t);
        w.histogram(labels[0] as Uint8Array, h, layout, options.native ? h.native : undefined);
      } else {
        const values = (f.values as (t: Series) => ArrayLike<number>)(t);
        for (let i = 0; i < labels.length; i++) {
          if (f.type === 'counter') w.counter(labels[i] as Uint8Array, values[i] as number);
          else w.gauge(labels[i] as Uint8Array, values[i] as number);
        }
      }
      if (w.length - yieldedAt >= options.chunkBytes) {
        await yieldToLoop();
        yieldedAt = w.length;
      }
    }
    w.endFamily();
    if (w.length > 0) yield w.take();
    yieldedAt = 0;
  }
}
