import { lastAnswer, type PathReport } from '../domain/path.js';
import { type IcmpReport, type LossReason, lossReasons, type PingResult, pingOf, type UnverifiedIcmpReason } from '../domain/ping.js';
import { DEFAULT_RTT_BUCKETS_SECONDS } from '../domain/rtt-buckets.js';
import type { RoundSummary } from '../stats/round-summary.js';
import type { ExpositionFormat } from './exposition.js';
import { ClassicLayout, MetricFamilyWriter } from './family-writer.js';
import { type IcmpSeries, type Labels, noIcmpSeries, type Selection, Series, selectFamilies, type TargetInfo } from './target-families.js';
import { protobufChunks } from './target-protobuf.js';
import { textChunks } from './target-text.js';

export type { TargetInfo };

/**
 * Bytes written between two turns of the event loop during a scrape: 0.1 ms (text) to 0.25 ms
 * (protobuf) of work on our 2 cores, so a ping in flight never waits long for its socket callback.
 */
const CHUNK_BYTES = 32 * 1024;

const lossIndex = new Map<LossReason, number>(lossReasons.map((r, i) => [r, i]));

/** One more ICMP error in a family with a series per ICMP version, type and code (and `extra` labels). */
function count(
  existing: ReadonlyMap<string, { labels: Labels; value: number }>,
  sel: Labels,
  report: IcmpReport,
  extra: Labels = {},
): IcmpSeries {
  const series: IcmpSeries = existing === noIcmpSeries ? new Map() : (existing as IcmpSeries);
  const key = `${report.family}/${report.type}/${report.code}/${Object.values(extra).join('/')}`;
  const entry = series.get(key) ?? {
    labels: { ...sel, icmp_version: String(report.family), icmp_type: String(report.type), icmp_code: String(report.code), ...extra },
    value: 0,
  };
  entry.value++;
  series.set(key, entry);
  return series;
}

export interface TargetSeriesOptions {
  /** Classic bucket bounds of the RTT and handshake histograms (metrics.rttBuckets). */
  readonly rttBucketsSeconds?: readonly number[];
  /** Whether protobuf scrapes get native histograms (metrics.nativeHistograms). */
  readonly nativeHistograms?: boolean;
  /** Per-target series not served (metrics.drop). */
  readonly drop?: readonly string[];
}

/**
 * Every per-target series, kept in plain numbers and written out by hand. At 1,000 targets these
 * are about 100,000 lines; prom-client's generic path took 140 ms of blocked event loop per scrape,
 * which delayed pings in flight and so inflated the very RTTs being exported. Here labels are
 * encoded once per target, and a scrape yields to the event loop every 32 KiB written.
 */
export class TargetSeries {
  /** Switched by a reload: native buckets are kept either way, so switching on shows them whole. */
  nativeHistograms: boolean;
  /** What a scrape writes: switched by a reload (metrics.drop); the numbers behind it are kept either way. */
  private selection: Selection;
  private readonly targets = new Map<string, Series>();
  private readonly bucketsSeconds: readonly number[];
  private readonly layout: ClassicLayout;
  /** Writers kept between scrapes (their buffers have grown to a family's size), one per concurrent scrape. */
  private readonly idleWriters: MetricFamilyWriter[] = [];

  constructor(options: TargetSeriesOptions = {}) {
    this.bucketsSeconds = options.rttBucketsSeconds ?? DEFAULT_RTT_BUCKETS_SECONDS;
    this.layout = new ClassicLayout(this.bucketsSeconds);
    this.nativeHistograms = options.nativeHistograms ?? true;
    this.selection = selectFamilies(options.drop ?? []);
  }

  /** metrics.drop: from the next scrape on. A family served again shows its counts whole, as they were kept. */
  setDrop(drop: readonly string[]): void {
    this.selection = selectFamilies(drop);
  }

  /** A configured target's series all exist, at 0, from the moment it is added. */
  add(info: TargetInfo): void {
    if (!this.targets.has(info.name)) this.targets.set(info.name, new Series(info.name, info, this.bucketsSeconds));
  }

  update(info: TargetInfo): void {
    this.targets.get(info.name)?.setInfo(info);
  }

  remove(name: string): void {
    this.targets.delete(name);
  }

  sent(name: string): void {
    const t = this.targets.get(name);
    if (t) t.sent++;
  }

  ping(name: string, result: PingResult): void {
    const t = this.targets.get(name);
    if (!t) return;
    const { connectSeconds, synRetransmits, stalledSeconds } = pingOf(result);
    if (connectSeconds !== undefined) t.connect.observe(connectSeconds);
    t.retransmits += synRetransmits ?? 0;
    if (stalledSeconds !== undefined) t.stalled++;
    if (result.ok) t.rtt.observe(result.value.rttSeconds);
    else {
      t.countLoss(lossIndex.get(result.error.reason) as number);
      if (result.error.icmp) this.icmp(name, result.error.icmp);
    }
  }

  icmp(name: string, report: IcmpReport): void {
    const t = this.targets.get(name);
    if (t) t.icmp = count(t.icmp, t.sel, report);
  }

  /** An ICMP error that changed no verdict, counted apart so nothing the network said is lost. */
  icmpUnverified(name: string, report: IcmpReport, reason: UnverifiedIcmpReason): void {
    const t = this.targets.get(name);
    if (t) t.icmpUnverified = count(t.icmpUnverified, t.sel, report, { reason });
  }

  round(name: string, summary: RoundSummary): void {
    const t = this.targets.get(name);
    if (!t) return;
    t.lossRatio = summary.lossRatio;
    t.up = summary.received > 0 ? 1 : 0;
    const { min, avg, max, mdev } = summary.rtt;
    // In place: a new object each round outlived the young generation (10 s at the default interval).
    const kept = t.rttSummary;
    kept.min = min ?? Number.NaN;
    kept.avg = avg ?? Number.NaN;
    kept.max = max ?? Number.NaN;
    kept.mdev = mdev ?? Number.NaN;
  }

  skipped(name: string): void {
    const t = this.targets.get(name);
    if (t) t.skipped++;
  }

  addressChanged(name: string): void {
    const t = this.targets.get(name);
    if (t) t.addressChanges++;
  }

  /** A trace of the target's path: counted, its length, a change, and its last answering hop. */
  path(name: string, { trace, changedHops }: PathReport): void {
    const t = this.targets.get(name);
    if (!t) return;
    t.pathTraces++;
    // A trace that could not be sent (its port, a local route) leaves the last path's figures standing.
    if (trace.end === 'error') return;
    if (changedHops && changedHops.length > 0) t.pathChanges++;
    const last = lastAnswer(trace);
    t.pathHops = last?.hop ?? 0;
    t.lastHop = last && { ...t.sel, hop: String(last.hop), address: last.address ?? '', answer: last.answer ?? '' };
  }

  /** The whole body of the per-target families in one format. */
  async render(format: ExpositionFormat = 'text'): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.chunks(format)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** The body in chunks, with a turn of the event loop between them so that pings in flight are not held up. */
  async *chunks(format: ExpositionFormat): AsyncGenerator<Uint8Array> {
    const targets = [...this.targets.values()];
    if (format === 'text') {
      yield* textChunks(targets, this.selection, CHUNK_BYTES);
      return;
    }
    const writer = this.idleWriters.pop() ?? new MetricFamilyWriter();
    try {
      yield* protobufChunks(writer, targets, {
        layout: this.layout,
        selection: this.selection,
        native: this.nativeHistograms,
        chunkBytes: CHUNK_BYTES,
      });
    } finally {
      writer.reset();
      this.idleWriters.push(writer);
    }
  }
}
