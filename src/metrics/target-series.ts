import { type IcmpReport, type LossReason, lossReasons, type PingResult, pingOf, type UnverifiedIcmpReason } from '../domain/ping.js';
import type { Target } from '../domain/target.js';
import type { RoundSummary } from '../stats/round-summary.js';
import { formatValue, header, labelPairs, yieldToLoop } from './exposition.js';

/** From 100 µs (loopback) to 10 s (handshakes that needed SYN retransmissions, 1 s or more late, land in their own buckets). */
export const RTT_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
const bucketLabels = [...RTT_BUCKETS_SECONDS.map(String), '+Inf'];

/** Targets serialized between two yields to the event loop during a scrape. */
const TARGETS_PER_CHUNK = 50;

class Histogram {
  readonly counts = new Float64Array(RTT_BUCKETS_SECONDS.length + 1);
  sum = 0;
  count = 0;

  observe(value: number): void {
    let i = 0;
    while (i < RTT_BUCKETS_SECONDS.length && value > (RTT_BUCKETS_SECONDS[i] as number)) i++;
    (this.counts as Float64Array)[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/** One target's series; the label strings are built once, not on every scrape. */
class Series {
  readonly sel: string;
  /** Label prefixes per family, built on first scrape; dropped when the metadata changes. */
  readonly prefixes = new Map<Family, string[]>();
  sent = 0;
  readonly lost = new Float64Array(lossReasons.length);
  readonly rtt = new Histogram();
  readonly connect = new Histogram();
  retransmits = 0;
  stalled = 0;
  readonly icmp = new Map<string, { sel: string; value: number }>();
  readonly icmpUnverified = new Map<string, { sel: string; value: number }>();
  lossRatio = 0;
  rttSummary = { min: 0, avg: 0, max: 0, mdev: 0 };
  skipped = 0;
  up = 0;
  addressChanges = 0;
  info: string;

  constructor(
    readonly name: string,
    info: TargetInfo,
  ) {
    this.sel = labelPairs({ target: name });
    this.info = infoSelector(info);
  }
}

/** What tcpping_target_info shows of a target. */
export type TargetInfo = Pick<Target, 'name' | 'address' | 'mode'> & { readonly labels?: Target['labels'] };

/** The labels of tcpping_target_info: the user's, then the ones tcpping sets (which win). */
function infoSelector(t: TargetInfo): string {
  return labelPairs({ ...t.labels, target: t.name, address: t.address, mode: t.mode });
}

/**
 * A family's lines for one target: label prefixes (built once per target and cached, since they
 * only change with the target) and the current values in the same order.
 */
type Family = {
  name: string;
  type: string;
  help: string;
  prefixes: (t: Series) => string[];
  values: (t: Series) => ArrayLike<number>;
};

const counter = (name: string, help: string, value: (t: Series) => number): Family => ({
  name,
  type: 'counter',
  help,
  prefixes: (t) => [`${name}{${t.sel}} `],
  values: (t) => [value(t)],
});
const gauge = (name: string, help: string, value: (t: Series) => number): Family => ({ ...counter(name, help, value), type: 'gauge' });
/** A series per label set seen (ICMP type/code), so never cached: few targets have any. */
const openEnded = (name: string, help: string, pick: (t: Series) => Map<string, { sel: string; value: number }>): Family => ({
  name,
  type: 'counter',
  help,
  prefixes: (t) => [...pick(t).values()].map(({ sel }) => `${name}{${sel}} `),
  values: (t) => [...pick(t).values()].map(({ value }) => value),
});

function histogram(name: string, help: string, pick: (t: Series) => Histogram): Family {
  return {
    name,
    type: 'histogram',
    help,
    prefixes: (t) => [
      ...bucketLabels.map((le) => `${name}_bucket{${t.sel},le="${le}"} `),
      `${name}_sum{${t.sel}} `,
      `${name}_count{${t.sel}} `,
    ],
    values: (t) => {
      const h = pick(t);
      const out = new Float64Array(bucketLabels.length + 2);
      let cumulative = 0;
      for (let i = 0; i < bucketLabels.length; i++) out[i] = cumulative += h.counts[i] as number;
      out[bucketLabels.length] = h.sum;
      out[bucketLabels.length + 1] = h.count;
      return out;
    },
  };
}

/**
 * Every per-target series, kept in plain numbers and written out by hand. At 1,000 targets these
 * are 58,000 lines; prom-client's generic path took 140 ms of blocked event loop per scrape,
 * which delayed pings in flight and so inflated the very RTTs being exported. Here labels are
 * formatted once per target, and a scrape yields to the event loop every 50 targets of a family.
 */
const families: Family[] = [
  counter('tcpping_pings_sent_total', 'Pings started.', (t) => t.sent),
  {
    name: 'tcpping_pings_lost_total',
    type: 'counter',
    help: 'Pings without a valid reply, by reason.',
    prefixes: (t) => lossReasons.map((reason) => `tcpping_pings_lost_total{${t.sel},reason="${reason}"} `),
    values: (t) => t.lost,
  },
  histogram('tcpping_rtt_seconds', 'Round-trip time of each successful ping.', (t) => t.rtt),
  histogram('tcpping_connect_seconds', 'TCP handshake time.', (t) => t.connect),
  counter(
    'tcpping_connect_retransmits_total',
    "SYNs the kernel retransmitted during this target's pings (tcpi_total_retrans): loss that TCP hid when the handshake then completed.",
    (t) => t.retransmits,
  ),
  openEnded(
    'tcpping_icmp_errors_total',
    "ICMP errors that explain this target's lost pings, by ICMP version, type and code.",
    (t) => t.icmp,
  ),
  openEnded(
    'tcpping_icmp_errors_unverified_total',
    "ICMP errors about this target's pings that changed no verdict, by ICMP version, type, code and reason: late (after the ping ended) or unconfirmed (the kernel did not act on it for the ping's socket, e.g. forged).",
    (t) => t.icmpUnverified,
  ),
  counter(
    'tcpping_pings_stalled_total',
    "Pings the event loop got to more than 20 ms after the kernel's record (a stall): their verdict and figures came from the kernel.",
    (t) => t.stalled,
  ),
  gauge('tcpping_round_loss_ratio', 'Loss of the last completed round, 0..1.', (t) => t.lossRatio),
  gauge('tcpping_round_rtt_min_seconds', 'Minimum RTT of the last completed round (NaN if no reply).', (t) => t.rttSummary.min),
  gauge('tcpping_round_rtt_avg_seconds', 'Average RTT of the last completed round (NaN if no reply).', (t) => t.rttSummary.avg),
  gauge('tcpping_round_rtt_max_seconds', 'Maximum RTT of the last completed round (NaN if no reply).', (t) => t.rttSummary.max),
  gauge('tcpping_round_rtt_mdev_seconds', 'RTT mean deviation of the last completed round, as ping prints it.', (t) => t.rttSummary.mdev),
  counter(
    'tcpping_rounds_skipped_total',
    'Rounds not started because the previous round of the target was still running.',
    (t) => t.skipped,
  ),
  gauge('tcpping_target_up', '1 if the last round got any reply.', (t) => t.up),
  {
    name: 'tcpping_target_info',
    type: 'gauge',
    help: 'Target metadata and user labels; always 1.',
    prefixes: (t) => [`tcpping_target_info{${t.info}} `],
    values: () => [1],
  },
  counter(
    'tcpping_target_address_changes_total',
    "Times a target's host name resolved to a different address than the round before.",
    (t) => t.addressChanges,
  ),
];

export const targetFamilyNames = families.map((f) => f.name);

function count(series: Map<string, { sel: string; value: number }>, sel: string, report: IcmpReport, extra = ''): void {
  const key = `${report.family}/${report.type}/${report.code}${extra}`;
  const entry = series.get(key) ?? {
    sel: `${sel},icmp_version="${report.family}",icmp_type="${report.type}",icmp_code="${report.code}"${extra}`,
    value: 0,
  };
  entry.value++;
  series.set(key, entry);
}

const lossIndex = new Map<LossReason, number>(lossReasons.map((r, i) => [r, i]));

export class TargetSeries {
  private readonly targets = new Map<string, Series>();

  /** A configured target's series all exist, at 0, from the moment it is added. */
  add(info: TargetInfo): void {
    if (!this.targets.has(info.name)) this.targets.set(info.name, new Series(info.name, info));
  }

  update(info: TargetInfo): void {
    const t = this.targets.get(info.name);
    if (!t) return;
    t.info = infoSelector(info);
    t.prefixes.clear();
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
      const i = lossIndex.get(result.error.reason) as number;
      t.lost[i] = (t.lost[i] as number) + 1;
      if (result.error.icmp) this.icmp(name, result.error.icmp);
    }
  }

  icmp(name: string, report: IcmpReport): void {
    const t = this.targets.get(name);
    if (t) count(t.icmp, t.sel, report);
  }

  /** An ICMP error that changed no verdict, counted apart so nothing the network said is lost. */
  icmpUnverified(name: string, report: IcmpReport, reason: UnverifiedIcmpReason): void {
    const t = this.targets.get(name);
    if (t) count(t.icmpUnverified, t.sel, report, `,reason="${reason}"`);
  }

  round(name: string, summary: RoundSummary): void {
    const t = this.targets.get(name);
    if (!t) return;
    t.lossRatio = summary.lossRatio;
    t.up = summary.received > 0 ? 1 : 0;
    const { min, avg, max, mdev } = summary.rtt;
    t.rttSummary = { min: min ?? Number.NaN, avg: avg ?? Number.NaN, max: max ?? Number.NaN, mdev: mdev ?? Number.NaN };
  }

  skipped(name: string): void {
    const t = this.targets.get(name);
    if (t) t.skipped++;
  }

  addressChanged(name: string): void {
    const t = this.targets.get(name);
    if (t) t.addressChanges++;
  }

  /** The text of every per-target family. */
  async render(): Promise<string> {
    let text = '';
    for await (const chunk of this.chunks()) text += chunk;
    return text;
  }

  /**
   * The same text in chunks of 50 targets of a family, with a turn of the event loop between
   * chunks, so a scrape can stream them out and pings in flight are not held up.
   */
  async *chunks(): AsyncGenerator<string> {
    const targets = [...this.targets.values()];
    let text = '';
    let sinceYield = 0;
    for (const family of families) {
      text += header(family.name, family.type, family.help);
      const cached = !family.name.startsWith('tcpping_icmp_errors');
      for (const t of targets) {
        let prefixes = cached ? t.prefixes.get(family) : undefined;
        if (!prefixes) {
          prefixes = family.prefixes(t);
          if (cached) t.prefixes.set(family, prefixes);
        }
        const values = family.values(t);
        for (let i = 0; i < prefixes.length; i++) text += `${prefixes[i]}${formatValue(values[i] as number)}\n`;
        if (++sinceYield >= TARGETS_PER_CHUNK) {
          yield text;
          text = '';
          sinceYield = 0;
          await yieldToLoop();
        }
      }
    }
    if (text !== '') yield text;
  }
}
