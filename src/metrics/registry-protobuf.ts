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

interface SummarySeries {
  readonly labels: Labels;
  readonly quantiles: [number, number][];
  sum: number;
  count: number;
}

/**
 * prom-client's values of one histogram or summary grouped per label set (all labels but `part`,
 * its le or quantile): one series each, which `add` fills from the values of its parts, _sum and _count.
 */
function grouped<S extends { sum: number; count: number }>(
  values: readonly Value[],
  part: string,
  make: (labels: Labels) => S,
  add: (series: S, at: string | number | undefined, value: number) => void,
): S[] {
  const series = new Map<string, S>();
  for (const v of values) {
    const { [part]: at, ...labels } = v.labels as Labels;
    const key = JSON.stringify(labels);
    const s = series.get(key) ?? make(labels);
    series.set(key, s);
    if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (v.metricName?.endsWith('_count')) s.count = v.value;
    else add(s, at, v.value);
  }
  return [...series.values()];
}

/** A histogram's series: its finite bounds and cumulative counts (+Inf is the count). */
const histogramSeries = (values: readonly Value[]): ClassicSeries[] =>
  grouped<ClassicSeries>(
    values,
    'le',
    (labels) => ({ labels, bounds: [], cumulative: [], sum: 0, count: 0 }),
    (s, le, value) => {
      if (le === '+Inf') return;
      s.bounds.push(Number(le));
      s.cumulative.push(value);
    },
  );

/** A summary's series: its quantiles. */
const summarySeries = (values: readonly Value[]): SummarySeries[] =>
  grouped<SummarySeries>(
    values,
    'quantile',
    (labels) => ({ labels, quantiles: [], sum: 0, count: 0 }),
    (s, quantile, value) => s.quantiles.push([Number(quantile), value]),
  );

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
