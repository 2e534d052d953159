import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type MetricObjectWithValues, type MetricType, type MetricValueWithName, type Registry, Summary } from 'prom-client';

/** How often the loop is sampled: a timer due every 10 ms that records how late it ran. */
const RESOLUTION_MS = 10;
const QUANTILES = [0.5, 0.99, 1] as const;
const NAME = 'tcpping_event_loop_delay_seconds';
/** prom-client's typings declare MetricType as an enum it does not export at run time; the registry reads the string. */
const SUMMARY = 'summary' as unknown as MetricType;
const HELP = 'How late the event loop ran (sampled every 10 ms); quantiles over the window since the last scrape.';

/**
 * tcpping_event_loop_delay_seconds: how late the event loop ran timers (perf_hooks'
 * monitorEventLoopDelay, which samples every 10 ms; the 10 ms themselves are taken off). The
 * quantiles are those of the window since the previous scrape, computed at scrape time; _sum
 * and _count add up over the process's life. Userland timing (the fallback without TCP_INFO) is
 * off by about this much; kernel-timed figures are not.
 */
export class EventLoopDelay extends Summary<string> {
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private sumSeconds = 0;
  private count = 0;

  constructor(registry: Registry) {
    super({
      name: NAME,
      help: HELP,
      percentiles: [...QUANTILES],
      registers: [registry],
    });
    this.histogram.enable();
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const h = this.histogram;
    const delay = (ns: number) => Math.max(0, ns / 1e9 - RESOLUTION_MS / 1000);
    const samples = h.count;
    this.count += samples;
    if (samples > 0) this.sumSeconds += delay(h.mean) * samples;
    const values: MetricValueWithName<string>[] = QUANTILES.map((q) => ({
      labels: { quantile: q },
      value: samples > 0 ? delay(q === 1 ? h.max : h.percentile(q * 100)) : 0,
    }));
    h.reset();
    values.push({ metricName: `${NAME}_sum`, labels: {}, value: this.sumSeconds });
    values.push({ metricName: `${NAME}_count`, labels: {}, value: this.count });
    return { name: NAME, help: HELP, type: SUMMARY, values, aggregator: 'sum', collect: () => {} };
  }

  /** Stops sampling (the timer is unreferenced, so this is for tidiness, not to let the process exit). */
  stop(): void {
    this.histogram.disable();
  }
}
