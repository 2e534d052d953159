import { type LossReason, lossReasons, possibleLossReasons } from '../domain/ping.js';
import type { Target } from '../domain/target.js';
import type { TargetFamilyName } from '../domain/target-series-names.js';
import { resolveLiteral } from '../scheduler/resolve.js';
import { zeroCounts } from '../util/counts.js';
import { parseHostPort } from '../util/hostport.js';
import type { MetricType } from './family-writer.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { Prefixes } from './text-writer.js';

export type Labels = Readonly<Record<string, string>>;

/** What tcpping_target_info shows of a target. */
export type TargetInfo = Pick<Target, 'name' | 'address' | 'mode'> & {
  readonly labels?: Target['labels'];
  readonly family?: Target['family'];
};

/** One target's series of an ICMP family, by ICMP version, type and code (and reason). */
export type IcmpSeries = Map<string, { labels: Labels; value: number }>;

/** Never written to: Series replaces it with a map of its own at its first ICMP error. */
export const noIcmpSeries: ReadonlyMap<string, { labels: Labels; value: number }> = new Map();

/** The labels of tcpping_target_info: the user's, then the ones tcpping sets (which win). */
const infoLabels = (t: TargetInfo): Labels => ({ ...t.labels, target: t.name, address: t.address, mode: t.mode });

/**
 * One target's numbers, and its series' names and labels as the writers encode them: built on the
 * first scrape and kept, since they change only with the target's metadata.
 */
export class Series {
  readonly sel: Labels;
  info: Labels;
  /** Text line prefixes per family (`name{labels} `, as UTF-8, packed), at the family's index. */
  readonly textPrefixes: (Prefixes | undefined)[] = [];
  /** `target="…"` as UTF-8, for the histograms' text lines (target-text.ts). */
  textSel: Buffer | undefined;
  /** Protobuf label pairs per family, one per series, at the family's index. */
  readonly protoLabels: (Uint8Array[] | undefined)[] = [];
  sent = 0;
  /** Pings lost, by reason (lossReasons' order): the shared zeros (never written) until the first loss. */
  private lost = noLoss;
  /**
   * The reasons served, as indices into lossReasons: those the target's mode and address can give
   * (a connect-mode target at an IP address has 5 of the 8), and any other that has counted.
   */
  lossShown: readonly number[] = [];
  private possibleLoss: readonly LossReason[] = lossReasons;
  /** The target as possibleLoss was worked out for it (a reload that changes labels alone keeps it). */
  private possibleFor: TargetInfo | undefined;
  readonly rtt: LatencyHistogram;
  readonly connect: LatencyHistogram;
  retransmits = 0;
  stalled = 0;
  /** Made at the first ICMP error (most targets never see one): until then the shared empty one. */
  icmp: ReadonlyMap<string, { labels: Labels; value: number }> = noIcmpSeries;
  icmpUnverified: ReadonlyMap<string, { labels: Labels; value: number }> = noIcmpSeries;
  lossRatio = 0;
  /** The last round's RTT figures, written in place each round. */
  readonly rttSummary = { min: 0, avg: 0, max: 0, mdev: 0 };
  skipped = 0;
  up = 0;
  addressChanges = 0;
  pathTraces = 0;
  pathChanges = 0;
  pathHops = 0;
  /** The labels of the last trace's last answering hop (tcpping_path_last_hop_info), from the first trace on. */
  lastHop: Labels | undefined;

  constructor(
    readonly name: string,
    info: TargetInfo,
    bucketsSeconds: readonly number[],
  ) {
    this.sel = { target: name };
    this.info = infoLabels(info);
    this.rtt = new LatencyHistogram(bucketsSeconds);
    this.connect = new LatencyHistogram(bucketsSeconds);
    this.showLossReasons(info);
  }

  setInfo(info: TargetInfo): void {
    this.info = infoLabels(info);
    this.forgetLabels(infoFamily);
    this.showLossReasons(info);
  }

  /** One more ping lost for the reason at index `i` of lossReasons. */
  countLoss(i: number): void {
    if (this.lost === noLoss) this.lost = zeroCounts(lossReasons.length);
    this.lost[i] = (this.lost[i] as number) + 1;
    // A reason the target was thought unable to give is served from now on: nothing counted is hidden.
    if (!this.lossShown.includes(i)) this.showLossReasons();
  }

  /** The counts of the reasons served, in lossShown's order: valid until the next call (a writer reads them at once). */
  shownLoss(): Float64Array {
    for (let k = 0; k < this.lossShown.length; k++) shownCounts[k] = this.lost[this.lossShown[k] as number] as number;
    return shownCounts;
  }

  /** The possible reasons and those that have counted (a counter once served stays, even if the mode changes). */
  private showLossReasons(info?: TargetInfo): void {
    if (info) {
      const was = this.possibleFor;
      if (was === undefined || was.mode !== info.mode || was.family !== info.family || was.address !== info.address) {
        this.possibleLoss = possibleLossReasons(info.mode, neverLookedUp(info));
      }
      this.possibleFor = info;
    }
    let mask = 0;
    for (let i = 0; i < lossReasons.length; i++) {
      if (this.possibleLoss.includes(lossReasons[i] as LossReason) || (this.lost[i] as number) > 0) mask |= 1 << i;
    }
    const shown = shownSet(mask);
    if (shown === this.lossShown) return;
    this.lossShown = shown;
    this.forgetLabels(lossFamily);
  }

  /** The labels kept for family `f`, made again at the next scrape. Only those: the others did not change. */
  private forgetLabels(f: Family): void {
    // Only what a scrape made: writing past the end grew both arrays to the family's index at
    // construction (336 bytes a target of holes, before any scrape and for targets never scraped).
    if (f.index < this.textPrefixes.length) this.textPrefixes[f.index] = undefined;
    if (f.index < this.protoLabels.length) this.protoLabels[f.index] = undefined;
  }
}

/** The loss counts of every target that has lost none: never written (countLoss makes a target's own first). */
const noLoss = zeroCounts(lossReasons.length);

/** One scratch array for every target's shown counts (10,000 targets need not keep 10,000 copies). */
const shownCounts = new Float64Array(lossReasons.length);

/** The index lists, one per set of reasons (a handful in use): targets share them. */
const shownSets = new Map<number, readonly number[]>();
function shownSet(mask: number): readonly number[] {
  let set = shownSets.get(mask);
  if (!set) {
    set = lossReasons.flatMap((_, i) => (mask & (1 << i) ? [i] : []));
    shownSets.set(mask, set);
  }
  return set;
}

/**
 * Whether a target's pings never look its host up: the round's own test (resolveLiteral), an IP
 * address of the family asked for. An address of the other family is a `dns` loss there.
 */
function neverLookedUp(info: TargetInfo): boolean {
  const parsed = parseHostPort(info.address, 1);
  return parsed.ok && resolveLiteral(parsed.value.host, info.family ?? 'auto')?.ok === true;
}

/** A family's series for one target: their label sets, and their values in the same order (or the histogram). */
export interface Family {
  /** Its place in `families`, where a Series keeps its encoded labels. */
  readonly index: number;
  readonly name: TargetFamilyName;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: (t: Series) => readonly Labels[];
  readonly values?: (t: Series) => ArrayLike<number>;
  readonly histogram?: (t: Series) => LatencyHistogram;
  /** Series that come and go (one per ICMP type and code seen): their encodings are not cached. */
  readonly volatile?: boolean;
}

/** A family as written below; `families` numbers them. */
type FamilyDef = Omit<Family, 'index'>;

const one = (t: Series) => [t.sel];
/**
 * The value of a one-series family, in one array that every target's `values` fills and returns
 * (a writer reads it at once): not an array per target and family, 140,000 per scrape at 10,000.
 */
const single = new Float64Array(1);
const always1: readonly number[] = [1];
const none: readonly never[] = [];
const counter = (name: TargetFamilyName, help: string, value: (t: Series) => number): FamilyDef => ({
  name,
  type: 'counter',
  help,
  labels: one,
  values: (t) => {
    single[0] = value(t);
    return single;
  },
});
const gauge = (name: TargetFamilyName, help: string, value: (t: Series) => number): FamilyDef => ({
  ...counter(name, help, value),
  type: 'gauge',
});
/** A series per ICMP version, type and code seen (and reason): they come and go, so they are not cached. */
const icmpCounter = (
  name: TargetFamilyName,
  help: string,
  pick: (t: Series) => ReadonlyMap<string, { labels: Labels; value: number }>,
): FamilyDef => ({
  name,
  type: 'counter',
  help,
  // Most targets never see an ICMP error: the shared empty map has no series to list.
  labels: (t) => {
    const series = pick(t);
    return series === noIcmpSeries ? none : [...series.values()].map((s) => s.labels);
  },
  values: (t) => {
    const series = pick(t);
    return series === noIcmpSeries ? none : [...series.values()].map((s) => s.value);
  },
  volatile: true,
});
const histogram = (name: TargetFamilyName, help: string, pick: (t: Series) => LatencyHistogram): FamilyDef => ({
  name,
  type: 'histogram',
  help,
  labels: one,
  histogram: pick,
});

/** Every per-target family, in the order of /metrics. */
const definitions: readonly FamilyDef[] = [
  counter('tcpping_pings_sent_total', 'Pings started.', (t) => t.sent),
  {
    name: 'tcpping_pings_lost_total',
    type: 'counter',
    help: 'Pings without a valid reply, by reason.',
    labels: (t) => t.lossShown.map((i) => ({ ...t.sel, reason: lossReasons[i] as LossReason })),
    values: (t) => t.shownLoss(),
  },
  histogram('tcpping_rtt_seconds', 'Round-trip time of each successful ping.', (t) => t.rtt),
  histogram('tcpping_connect_seconds', "TCP handshake time (the kernel's, where it can be asked).", (t) => t.connect),
  counter(
    'tcpping_connect_retransmits_total',
    "SYNs the kernel retransmitted during this target's pings (tcpi_total_retrans): loss that TCP hid when the handshake then completed.",
    (t) => t.retransmits,
  ),
  icmpCounter(
    'tcpping_icmp_errors_total',
    "ICMP errors that explain this target's lost pings, by ICMP version, type and code.",
    (t) => t.icmp,
  ),
  icmpCounter(
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
    labels: (t) => [t.info],
    values: () => always1,
  },
  counter(
    'tcpping_target_address_changes_total',
    "Times a target's host name resolved to a different address than the round before.",
    (t) => t.addressChanges,
  ),
  counter(
    'tcpping_path_traces_total',
    "Traces of this target's TCP path (when loss began, when it ended, every trace.everyRounds rounds).",
    (t) => t.pathTraces,
  ),
  counter(
    'tcpping_path_changes_total',
    "Traces that found the path changed against the target's previous trace of the same flow: another router answered at some hop.",
    (t) => t.pathChanges,
  ),
  gauge(
    'tcpping_path_hops',
    "Hop of the last trace's last answer: the destination's hop count when it answered, else where answers stop (0: no trace yet, or no hop answered).",
    (t) => t.pathHops,
  ),
  {
    name: 'tcpping_path_last_hop_info',
    type: 'gauge',
    help: "The last trace's last answering hop: its number, address and answer (syn-ack or reset: the destination; time-exceeded or unreachable: where answers stop); always 1.",
    labels: (t) => (t.lastHop ? [t.lastHop] : none),
    values: (t) => (t.lastHop ? always1 : none),
    volatile: true,
  },
];
export const families: readonly Family[] = definitions.map((f, index) => ({ ...f, index }));

/** The two families whose labels a Series changes after it was made: by setInfo, and by the reasons it shows. */
const infoFamily = families.find((f) => f.name === 'tcpping_target_info') as Family;
const lossFamily = families.find((f) => f.name === 'tcpping_pings_lost_total') as Family;

export const targetFamilyNames = families.map((f) => f.name);

/** What a scrape writes of the per-target families (metrics.drop taken out). */
export interface Selection {
  readonly families: readonly Family[];
  /** Histograms whose classic buckets are dropped: they keep their count and sum (and native buckets). */
  readonly withoutClassic: ReadonlySet<Family>;
}

export function selectFamilies(drop: readonly string[]): Selection {
  const dropped = new Set(drop);
  return {
    families: families.filter((f) => !dropped.has(f.name)),
    withoutClassic: new Set(families.filter((f) => f.histogram && dropped.has(`${f.name}_bucket`))),
  };
}
