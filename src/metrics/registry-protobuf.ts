import type { Registry } from 'prom-client';
import { ClassicLayout, encodeLabels, familyHeader, MetricFamilyWriter } from './family-writer.js';

type Labels = Record<string, string | number | undefined>;
/** A value of prom-client's getMetricsAsJSON(); a histogram's carry the series name (_bucket, _sum, _count). */
type Value = { readonly value: number; readonly labels: object; readonly metricName?: string };

const asStrings = (labels: Labels): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));

interface ClassicSeries {
  readonly labels: Labels;
  readonly bounds: number[];
  readonly cumulative: number[];
  sum: number;
  count: number;
}

/** prom-client's histogram values (one per bucket, then _sum and _count) grouped per label set. */
function histogramSeries(values: readonly Value[]): ClassicSeries[] {
  const series = new Map<string, ClassicSeries>();
  for (const v of values) {
    const { le, ...labels } = v.labels as Labels;
    const key = JSON.stringify(labels);
    const s = series.get(key) ?? { labels, bounds: [], cumulative: [], sum: 0, count: 0 };
    series.set(key, s);
    if (v.metricName?.endsWith('_bucket')) {
      if (le !== '+Inf') {
        s.bounds.push(Number(le));
        s.cumulative.push(v.value);
      }
    } else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (v.metricName?.endsWith('_count')) s.count = v.value;
  }
  return [...series.values()];
}

interface SummarySeries {
  readonly labels: Labels;
  readonly quantiles: [number, number][];
  sum: number;
  count: number;
}

/** prom-client's summary values (one per quantile, then _sum and _count) grouped per label set. */
function summarySeries(values: readonly Value[]): SummarySeries[] {
  const series = new Map<string, SummarySeries>();
  for (const v of values) {
    const { quantile, ...labels } = v.labels as Labels;
    const key = JSON.stringify(labels);
    const s = series.get(key) ?? { labels, quantiles: [], sum: 0, count: 0 };
    series.set(key, s);
    if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (v.metricName?.endsWith('_count')) s.count = v.value;
    else s.quantiles.push([Number(quantile), v.value]);
  }
  return [...series.values()];
}

/**
 * The service-wide prom-client registry in the protobuf format, which prom-client cannot write: a
 * scraper that asked for protobuf gets the whole body in it. Counters, gauges, classic histograms
 * and summaries (tcpping_event_loop_delay_seconds); a few dozen series, so nothing is cached.
 */
export async function registryProtobuf(registry: Registry, w = new MetricFamilyWriter(1 << 14)): Promise<Uint8Array> {
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type !== 'counter' && type !== 'gauge' && type !== 'histogram' && type !== 'summary')
      throw new Error(`${m.name}: a ${type} cannot be written as protobuf`);
    w.beginFamily(familyHeader(m.name, m.help, type));
    if (type === 'summary') {
      for (const s of summarySeries(m.values)) w.summary(encodeLabels(asStrings(s.labels)), s.count, s.sum, s.quantiles);
    } else if (type === 'histogram') {
      for (const s of histogramSeries(m.values)) {
        const classic = s.cumulative.map((c, i) => c - (i > 0 ? (s.cumulative[i - 1] as number) : 0));
        w.histogram(encodeLabels(asStrings(s.labels)), { count: s.count, sum: s.sum, classic }, new ClassicLayout(s.bounds));
      }
    } else {
      for (const v of m.values) {
        const labels = encodeLabels(asStrings(v.labels as Labels));
        if (type === 'counter') w.counter(labels, v.value);
        else w.gauge(labels, v.value);
      }
    }
    w.endFamily();
  }
  return w.take();
}
