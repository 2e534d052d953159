/**
 * The per-target metric families by name (the metrics room writes them, in this order), and what
 * `metrics.drop` may name: a family, or a histogram's classic buckets as Prometheus names them
 * (NAME_bucket), as an operator would write them in a metric_relabel_configs drop rule.
 */
export const targetFamilyNames = [
  'tcpping_pings_sent_total',
  'tcpping_pings_lost_total',
  'tcpping_rtt_seconds',
  'tcpping_connect_seconds',
  'tcpping_connect_retransmits_total',
  'tcpping_icmp_errors_total',
  'tcpping_icmp_errors_unverified_total',
  'tcpping_pings_stalled_total',
  'tcpping_round_loss_ratio',
  'tcpping_round_rtt_min_seconds',
  'tcpping_round_rtt_avg_seconds',
  'tcpping_round_rtt_max_seconds',
  'tcpping_round_rtt_mdev_seconds',
  'tcpping_rounds_skipped_total',
  'tcpping_target_up',
  'tcpping_target_info',
  'tcpping_target_address_changes_total',
  'tcpping_path_traces_total',
  'tcpping_path_changes_total',
  'tcpping_path_hops',
  'tcpping_path_last_hop_info',
] as const;
export type TargetFamilyName = (typeof targetFamilyNames)[number];

/** The histograms' classic buckets, droppable apart from their family (text scrapers then get _sum and _count). */
export const classicBucketSeries = ['tcpping_rtt_seconds_bucket', 'tcpping_connect_seconds_bucket'] as const;

export const droppableSeries: readonly string[] = [...targetFamilyNames, ...classicBucketSeries];
export type DroppableSeries = TargetFamilyName | (typeof classicBucketSeries)[number];
