#!/usr/bin/env node
// Generates grafana/dashboards/tcpping.json, the dashboard that ships. Run `node grafana/generate.mjs`
// after editing; test/monitoring/dashboard.test.ts fails when the committed JSON is out of date.
// Plain JavaScript with no dependencies, so it runs anywhere Node.js does.
import { writeFileSync } from 'node:fs';
import { icmpMappings } from './icmp-names.mjs';

const ds = { type: 'prometheus', uid: '${datasource}' };
const sel = (extra = '') => `{instance=~"$instance", target=~"$target"${extra}}`;
const inst = '{instance=~"$instance"}';
const rate = (metric, s = sel()) => `rate(${metric}${s}[$__rate_interval])`;
// Native first, classic otherwise: a Prometheus run with --enable-feature=native-histograms asks
// for protobuf and stores only the native histogram (no _bucket series); one without it stores only
// the classic buckets (no native series). One side of the `or` is always empty.
const quantileOf = (q, by, native, classic) =>
  `histogram_quantile(${q}, sum${by ? ` by (${by})` : ''} (${native})) or histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (${classic}))`;
const quantile = (q, metric) => quantileOf(q, '', rate(metric), rate(`${metric}_bucket`));
const quantileMethod =
  'From the native histogram where Prometheus stores it (run with --enable-feature=native-histograms; buckets 4.4% wide, so a percentile is within 4.4% of the true one), otherwise from the classic buckets (a percentile is interpolated inside its bucket: off by up to the bucket width, 40-67% at the default buckets, metrics.rttBuckets).';
const lossRatio = `sum by (target) (${rate('tcpping_pings_lost_total')}) / sum by (target) (${rate('tcpping_pings_sent_total')})`;

let nextId = 1;
const steps = (...pairs) => ({ mode: 'absolute', steps: pairs.map(([value, color]) => ({ value, color })) });
const green = steps([null, 'green']);
const upDown = [{ type: 'value', options: { 0: { text: 'DOWN', color: 'red' }, 1: { text: 'UP', color: 'green' } } }];

/** A query; `instant` for tables and stats that show the latest value. */
function q(expr, legendFormat, extra = {}) {
  return { datasource: ds, expr, legendFormat, range: !extra.instant, instant: Boolean(extra.instant), ...extra };
}

function panel(
  type,
  title,
  description,
  [w, h],
  targets,
  { unit, min, max, decimals, thresholds, mappings, custom, overrides, options, ...rest } = {},
) {
  const refIds = 'ABCDEFGHIJ';
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource: ds,
    gridPos: { w, h },
    targets: targets.map((t, i) => ({ ...t, refId: refIds[i] })),
    fieldConfig: {
      defaults: { unit, min, max, decimals, thresholds: thresholds ?? green, mappings: mappings ?? [], custom: custom ?? {} },
      overrides: overrides ?? [],
    },
    options: options ?? {},
    ...rest,
  };
}

const lines = (extra = {}) => ({ drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false, ...extra });
const legend = { displayMode: 'table', placement: 'right', calcs: ['mean', 'max'] };
const series = (title, description, size, targets, { custom, ...extra } = {}) =>
  panel('timeseries', title, description, size, targets, {
    options: { legend, tooltip: { mode: 'multi', sort: 'desc' } },
    ...extra,
    custom: lines(custom),
  });
const stat = (title, description, size, targets, extra = {}) =>
  panel('stat', title, description, size, targets, {
    options: { colorMode: 'background', graphMode: 'none', textMode: 'value_and_name', reduceOptions: { calcs: ['lastNotNull'] } },
    ...extra,
  });
const byName = (name, properties) => ({ matcher: { id: 'byName', options: name }, properties });
const prop = (id, value) => ({ id, value });
const row = (title, extra = {}) => ({ id: nextId++, type: 'row', title, collapsed: false, panels: [], gridPos: { w: 24, h: 1 }, ...extra });

const overview = [
  row('Overview'),
  stat(
    'Target up',
    'UP when the last round to the target got at least one reply (tcpping_target_up).',
    [4, 8],
    [q(`tcpping_target_up${sel()}`, '{{target}}', { instant: true })],
    {
      mappings: upDown,
      thresholds: steps([null, 'red'], [1, 'green']),
    },
  ),
  series(
    'Loss ratio per target',
    'Share of pings without a valid reply, from the counters over the rate interval, and the loss of the last completed round. Yellow from 5%, red from 10% (the TcppingHighLoss alert raises above 10% and clears below 5%).',
    [10, 8],
    [q(lossRatio, '{{target}}'), q(`tcpping_round_loss_ratio${sel()}`, '{{target}} last round')],
    {
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: steps([null, 'green'], [0.05, 'yellow'], [0.1, 'red']),
      custom: { thresholdsStyle: { mode: 'dashed' } },
    },
  ),
  series(
    'Lost pings by reason',
    'Pings lost per second, by why: timeout (no reply in time), refused, reset, closed, unreachable (ICMP or OS said so), mismatch (wrong echo), dns, error.',
    [10, 8],
    [q(`sum by (target, reason) (${rate('tcpping_pings_lost_total')})`, '{{target}} {{reason}}')],
    { unit: 'suffix: pings/s', min: 0, custom: { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal' } } },
  ),
  series(
    'Last round RTT: min / avg / max / mdev',
    'RTT summary of the last completed round per target, as ping prints it. Empty after a round with no replies.',
    [14, 8],
    ['min', 'avg', 'max', 'mdev'].map((k) => q(`tcpping_round_rtt_${k}_seconds${sel()}`, `{{target}} ${k}`)),
    { unit: 's', min: 0 },
  ),
  panel(
    'table',
    'ICMP errors by type and code',
    'ICMP errors that explain lost pings over the dashboard time range, by type/code in words: from each ping\'s socket (the kernel accepted them for that connection), or the capture\'s copy where it agrees with the socket\'s error. "none" when a target got no ICMP errors. Errors that changed no verdict are in the next panel.',
    [10, 8],
    [
      q(
        `sum by (target, icmp) (label_join(increase(tcpping_icmp_errors_total${sel()}[$__range]), "icmp", "/", "icmp_version", "icmp_type", "icmp_code")) or on (target) label_replace(sum by (target) (tcpping_pings_sent_total${sel()}) * 0, "icmp", "none", "", "")`,
        '',
        { instant: true, format: 'table' },
      ),
    ],
    {
      unit: 'short',
      decimals: 0,
      overrides: [
        byName('icmp', [prop('mappings', icmpMappings), prop('displayName', 'ICMP error')]),
        byName('Value', [
          prop('displayName', 'Errors'),
          prop('thresholds', steps([null, 'green'], [1, 'red'])),
          prop('custom.cellOptions', { type: 'color-text' }),
        ]),
      ],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
      options: { showHeader: true, sortBy: [{ displayName: 'Errors', desc: true }] },
    },
  ),
  series(
    'ICMP errors counted apart',
    'ICMP errors about pings that changed no verdict, per second: late (after the ping ended: a slow router) or unconfirmed (the kernel did not act on it for the ping\'s socket: forged, or not the error the socket failed with). Needs ICMP capture. Unconfirmed errors in numbers are worth a look: someone may be forging them.',
    [10, 8],
    // Its series are born at a target's first such error: 0 ("none") until then, rather than no data.
    [
      q(
        `sum by (target, reason) (${rate('tcpping_icmp_errors_unverified_total')}) or on (target) label_replace(sum by (target) (${rate('tcpping_pings_sent_total')}) * 0, "reason", "none", "", "")`,
        '{{target}} {{reason}}',
      ),
    ],
    { unit: 'suffix: errors/s', min: 0, custom: { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal' } } },
  ),
];

const perTarget = [
  row('Target $target', { repeat: 'target' }),
  series(
    'Latency (smoke): $target',
    'Smokeping-style, drawn from exact figures only: the line is the average RTT of the rounds, the dark smoke spans average ± mdev, the light smoke the minimum to the maximum RTT of the rounds (tcpping_round_rtt_{min,avg,max,mdev}_seconds, as ping prints them; no histogram interpolation). Red bars on the right axis are the loss ratio.',
    [8, 9],
    [
      q(`avg_over_time(tcpping_round_rtt_avg_seconds${sel()}[$__rate_interval])`, 'avg'),
      q(
        `avg_over_time(tcpping_round_rtt_avg_seconds${sel()}[$__rate_interval]) - avg_over_time(tcpping_round_rtt_mdev_seconds${sel()}[$__rate_interval])`,
        'avg - mdev',
      ),
      q(
        `avg_over_time(tcpping_round_rtt_avg_seconds${sel()}[$__rate_interval]) + avg_over_time(tcpping_round_rtt_mdev_seconds${sel()}[$__rate_interval])`,
        'avg + mdev',
      ),
      q(`min_over_time(tcpping_round_rtt_min_seconds${sel()}[$__rate_interval])`, 'min'),
      q(`max_over_time(tcpping_round_rtt_max_seconds${sel()}[$__rate_interval])`, 'max'),
      q(lossRatio, 'loss'),
    ],
    {
      unit: 's',
      min: 0,
      custom: { fillOpacity: 0, lineWidth: 2 },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'none' } },
      overrides: [
        byName('avg', [prop('color', { mode: 'fixed', fixedColor: 'green' })]),
        ...['avg - mdev', 'avg + mdev', 'min', 'max'].map((n) =>
          byName(n, [prop('custom.lineWidth', 0), prop('color', { mode: 'fixed', fixedColor: 'gray' })]),
        ),
        byName('avg + mdev', [prop('custom.fillBelowTo', 'avg - mdev'), prop('custom.fillOpacity', 40)]),
        byName('max', [prop('custom.fillBelowTo', 'min'), prop('custom.fillOpacity', 15)]),
        byName('loss', [
          prop('unit', 'percentunit'),
          prop('min', 0),
          prop('max', 1),
          prop('custom.axisPlacement', 'right'),
          prop('custom.drawStyle', 'bars'),
          prop('custom.fillOpacity', 60),
          prop('color', { mode: 'fixed', fixedColor: 'red' }),
        ]),
      ],
    },
  ),
  series(
    'RTT percentiles: $target',
    `Median, 90th and 99th percentile of the RTT of every successful ping (tcpping_rtt_seconds) over the rate interval. ${quantileMethod}`,
    [6, 9],
    [0.5, 0.9, 0.99].map((p) => q(quantile(p, 'tcpping_rtt_seconds'), `p${p * 100}`)),
    {
      unit: 's',
      min: 0,
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'none' } },
    },
  ),
  panel(
    'heatmap',
    'RTT heatmap: $target',
    'How many pings fell in each RTT bucket of tcpping_rtt_seconds per interval: bands show the usual latencies, stray cells show outliers. Drawn from the native histogram where Prometheus stores it (exponential buckets 4.4% wide; Grafana 10.3 or later), otherwise from the classic buckets.',
    [5, 9],
    [
      q(
        `sum(increase(tcpping_rtt_seconds${sel()}[$__rate_interval])) or sum by (le) (increase(tcpping_rtt_seconds_bucket${sel()}[$__rate_interval]))`,
        '{{le}}',
        { format: 'heatmap' },
      ),
    ],
    {
      unit: 's',
      custom: { scaleDistribution: { type: 'linear' }, hideFrom: { legend: false, tooltip: false, viz: false } },
      options: {
        calculate: false,
        yAxis: { unit: 's', axisPlacement: 'left' },
        rowsFrame: { layout: 'auto' },
        color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, steps: 64, fill: 'dark-orange' },
        cellGap: 1,
        filterValues: { le: 1e-9 },
        tooltip: { mode: 'single', yHistogram: true, showColorScale: false },
        legend: { show: true },
      },
    },
  ),
  series(
    'TCP handshake: $target',
    `Handshake time percentiles (tcpping_connect_seconds, the kernel's SYN → SYN-ACK time) and the SYNs the kernel retransmitted (right axis): loss that TCP hid by retrying a second or more later. ${quantileMethod}`,
    [5, 9],
    [
      q(quantile(0.5, 'tcpping_connect_seconds'), 'p50'),
      q(quantile(0.99, 'tcpping_connect_seconds'), 'p99'),
      q(`sum by (target) (${rate('tcpping_connect_retransmits_total')})`, 'SYN retransmits'),
    ],
    {
      unit: 's',
      min: 0,
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'none' } },
      overrides: [
        byName('SYN retransmits', [prop('unit', 'suffix: /s'), prop('custom.axisPlacement', 'right'), prop('custom.drawStyle', 'bars')]),
      ],
    },
  ),
];

const answerWords = [
  {
    type: 'value',
    options: {
      'syn-ack': { text: 'reached: SYN-ACK (port open)', color: 'green' },
      reset: { text: 'reached: RST (port closed)', color: 'green' },
      'time-exceeded': { text: 'answers stop here', color: 'red' },
      unreachable: { text: 'refused here (ICMP unreachable)', color: 'red' },
    },
  },
];
const path = [
  row('Path (TCP traceroute)'),
  panel(
    'table',
    'Where answers stop',
    "The last trace of each target's TCP path (tcpping traces it when its pings begin to be lost, when they recover, and every trace.everyRounds rounds if set): its last answering hop. When the destination answered, that is the destination; when it did not, it is where the probes are lost, and the hops after it answered nothing. A router that never sends time exceeded is shown as * on the status page, not here: it is not loss. The status page and /api/v1/targets have every hop.",
    [10, 8],
    [q(`max by (target, hop, address, answer) (tcpping_path_last_hop_info${sel()})`, '', { instant: true, format: 'table' })],
    {
      overrides: [
        byName('answer', [prop('mappings', answerWords), prop('displayName', 'Last answer'), prop('custom.cellOptions', { type: 'color-text' })]),
        byName('hop', [prop('displayName', 'Hop')]),
        byName('address', [prop('displayName', 'Address')]),
      ],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }],
      options: { showHeader: true, sortBy: [{ displayName: 'target' }] },
    },
  ),
  series(
    'Path length and changes',
    "Hop of the last trace's last answer (tcpping_path_hops: the destination's hop count when it answered, else where answers stop; 0 before the first trace), and path changes as bars on the right: a trace found another router at some hop than the target's previous trace of the same flow. A target keeps one flow (one source port) from trace to trace, so equal-cost multipath does not show as a change. The TcppingPathChangedWithLoss alert fires on a change while over 5% of the pings are lost.",
    [10, 8],
    [
      q(`max by (target) (tcpping_path_hops${sel()})`, '{{target}} hops'),
      q(`sum by (target) (increase(tcpping_path_changes_total${sel()}[$__rate_interval]))`, '{{target}} changes'),
    ],
    {
      unit: 'short',
      min: 0,
      decimals: 0,
      custom: { lineInterpolation: 'stepAfter' },
      overrides: [
        {
          matcher: { id: 'byRegexp', options: '.* changes' },
          properties: [
            prop('custom.axisPlacement', 'right'),
            prop('custom.drawStyle', 'bars'),
            prop('custom.fillOpacity', 80),
            prop('color', { mode: 'fixed', fixedColor: 'red' }),
          ],
        },
      ],
    },
  ),
  stat(
    'Traces and path changes',
    'Over the dashboard time range, per target: traces run (tcpping_path_traces_total) and the path changes they found (tcpping_path_changes_total). Traces start at most trace.maxPerMinute a minute across targets.',
    [4, 8],
    [
      q(`sum by (target) (increase(tcpping_path_changes_total${sel()}[$__range]))`, '{{target}} changes', { instant: true }),
      q(`sum by (target) (increase(tcpping_path_traces_total${sel()}[$__range]))`, '{{target}} traces', { instant: true }),
    ],
    {
      decimals: 0,
      thresholds: steps([null, 'green'], [0.5, 'red']),
      overrides: [{ matcher: { id: 'byRegexp', options: '.* traces' }, properties: [prop('thresholds', steps([null, 'blue']))] }],
    },
  ),
];

const responder = [
  row('Responder (embedded ping server)'),
  series(
    'Responder pings',
    'Pings the embedded server received, and those it dropped on purpose (responder.dropRate simulates loss).',
    [8, 8],
    [
      q(`sum(${rate('tcpping_responder_pings_total', inst)})`, 'received'),
      q(`sum(${rate('tcpping_responder_pings_dropped_total', inst)})`, 'dropped'),
    ],
    { unit: 'suffix: pings/s', min: 0 },
  ),
  series(
    'Responder connections',
    'Connections accepted per second, and open right now (right axis).',
    [8, 8],
    [
      q(`sum(${rate('tcpping_responder_connections_total', inst)})`, 'accepted/s'),
      q(`sum(tcpping_responder_connections_active${inst})`, 'active'),
    ],
    { unit: 'short', min: 0, overrides: [byName('active', [prop('custom.axisPlacement', 'right'), prop('decimals', 0)])] },
  ),
  series(
    'Responder bad requests',
    'Clients cut off for breaking a limit, per second, by reason (line too long, binary data, idle, a line too slow to arrive), and connections closed to make room when the responder or one address was full (evicted). Any is worth a look.',
    [8, 8],
    [
      q(`sum by (reason) (${rate('tcpping_responder_bad_requests_total', inst)})`, '{{reason}}'),
      q(`sum by (reason) (${rate('tcpping_responder_connections_evicted_total', inst)})`, 'evicted: {{reason}}'),
    ],
    {
      unit: 'reqps',
      min: 0,
      thresholds: steps([null, 'green'], [0.01, 'red']),
      custom: { drawStyle: 'bars', stacking: { mode: 'normal' } },
    },
  ),
];

// Pingmesh's view: one row per agent that pings (the `instance` Prometheus scraped it as), one column
// per target it pings (in a mesh, the peers' node names), a cell per pair. Instant queries over 5 m.
const pair = 'sum by (instance, target)';
const matrix = (title, description, expr, fieldConfig) =>
  panel('table', title, description, [12, 10], [q(expr, '', { instant: true, format: 'table' })], {
    ...fieldConfig,
    custom: { align: 'center', cellOptions: { type: 'color-background', mode: 'basic' } },
    transformations: [
      { id: 'groupingToMatrix', options: { rowField: 'instance', columnField: 'target', valueField: 'Value', emptyValue: 'null' } },
      { id: 'organize', options: { renameByName: { 'instance\\target': 'source \\ target' } } },
    ],
    options: { showHeader: true, cellHeight: 'sm' },
  });
const mesh = [
  row('Mesh: source agent × target'),
  matrix(
    'Mesh loss matrix (source × target)',
    'Share of pings lost over the last 5 minutes from each agent (row: the instance Prometheus scraped) to each target (column). A red column is a target everyone loses; a red row is an agent that loses everything (its own network); a lone red cell is one path. Select several instances above.',
    `${pair} (increase(tcpping_pings_lost_total${sel()}[5m])) / ${pair} (increase(tcpping_pings_sent_total${sel()}[5m]))`,
    { unit: 'percentunit', min: 0, max: 1, decimals: 1, thresholds: steps([null, 'green'], [0.01, 'yellow'], [0.05, 'orange'], [0.1, 'red']) },
  ),
  matrix(
    'Mesh RTT matrix: median (source × target)',
    `Median RTT over the last 5 minutes from each agent (row) to each target (column), from the tcpping_rtt_seconds histogram. Empty where no ping got a reply. ${quantileMethod}`,
    quantileOf(0.5, 'instance, target', `increase(tcpping_rtt_seconds${sel()}[5m])`, `increase(tcpping_rtt_seconds_bucket${sel()}[5m])`),
    { unit: 's', min: 0, decimals: 2, thresholds: steps([null, 'green'], [0.01, 'yellow'], [0.1, 'red']) },
  ),
];

const yesNo = (yes, no) => [{ type: 'value', options: { 0: { text: no, color: 'red' }, 1: { text: yes, color: 'green' } } }];
const health = [
  row('Service health'),
  series(
    'Scheduler lag',
    'How late pings start against their plan. Above 100 ms (TcppingSchedulerLagging) the host or event loop is overloaded and measured RTTs are inflated.',
    [6, 8],
    [0.5, 0.99].map((p) =>
      q(`histogram_quantile(${p}, sum by (le) (${rate('tcpping_scheduler_lag_seconds_bucket', inst)}))`, `p${p * 100}`),
    ),
    {
      unit: 's',
      min: 0,
      thresholds: steps([null, 'green'], [0.05, 'yellow'], [0.1, 'red']),
      custom: { thresholdsStyle: { mode: 'dashed' } },
    },
  ),
  series(
    'Event-loop lag',
    'How late the event loop ran (tcpping_event_loop_delay_seconds, over each scrape interval), and pings it got to more than 20 ms after the kernel\'s record (right axis), whose figures and verdicts were the kernel\'s. With kernel timing a stall costs no accuracy; with userland timing (Kernel timing OFF) every millisecond here can add to a measured RTT.',
    [6, 8],
    [
      // quantile="1" in text, "1.0" when Prometheus scraped protobuf (OpenMetrics' spelling of the float).
      q(`max(tcpping_event_loop_delay_seconds{instance=~"$instance", quantile=~"1.*"})`, 'max'),
      q(`max(tcpping_event_loop_delay_seconds{instance=~"$instance", quantile="0.99"})`, 'p99'),
      q(`sum(${rate('tcpping_pings_stalled_total', inst)})`, 'stalled pings/s'),
    ],
    {
      unit: 's',
      min: 0,
      thresholds: steps([null, 'green'], [0.05, 'yellow'], [0.1, 'red']),
      custom: { thresholdsStyle: { mode: 'dashed' } },
      overrides: [byName('stalled pings/s', [prop('unit', 'suffix: /s'), prop('custom.axisPlacement', 'right'), prop('custom.drawStyle', 'bars')])],
    },
  ),
  series(
    'CPU',
    'CPU time used by the tcpping process, as a share of one core.',
    [6, 8],
    [q(`sum(${rate('process_cpu_seconds_total', inst)})`, 'cpu')],
    { unit: 'percentunit', min: 0, thresholds: steps([null, 'green'], [0.8, 'red']) },
  ),
  series(
    'Memory',
    'Resident memory of the process and the V8 heap in use.',
    [6, 8],
    [q(`process_resident_memory_bytes${inst}`, 'resident'), q(`nodejs_heap_size_used_bytes${inst}`, 'heap used')],
    { unit: 'bytes', min: 0 },
  ),
  stat(
    'Kernel timing',
    'Whether pings are timed and judged from the kernel\'s record of each socket (TCP_INFO). OFF (not Linux, or koffi missing): userland timing, where event-loop delays count against the network.',
    [5, 5],
    [q(`tcpping_kernel_timing_enabled${inst}`, '{{instance}}', { instant: true })],
    {
      mappings: yesNo('ON', 'OFF'),
      thresholds: steps([null, 'red'], [1, 'green']),
    },
  ),
  stat(
    'ICMP capture',
    'Whether ICMP errors are captured (needs CAP_NET_RAW). Off: the handshake\'s ICMP errors are still named from each ping\'s socket, but not the echo request\'s, and no error is counted apart.',
    [5, 5],
    [q(`tcpping_icmp_capture_enabled${inst}`, '{{instance}}', { instant: true })],
    {
      mappings: yesNo('ON', 'OFF'),
      thresholds: steps([null, 'red'], [1, 'green']),
    },
  ),
  stat(
    'Config reload',
    'Whether the last configuration load or reload succeeded; after a failure the previous configuration stays in use.',
    [5, 5],
    [q(`tcpping_config_last_reload_successful${inst}`, '{{instance}}', { instant: true })],
    {
      mappings: yesNo('OK', 'FAILED'),
      thresholds: steps([null, 'red'], [1, 'green']),
    },
  ),
  stat(
    'Last good config load',
    'When the configuration was last loaded or reloaded successfully.',
    [5, 5],
    [q(`tcpping_config_last_reload_success_timestamp_seconds${inst} * 1000`, '{{instance}}', { instant: true })],
    {
      unit: 'dateTimeFromNow',
      options: { colorMode: 'none', graphMode: 'none', textMode: 'value', reduceOptions: { calcs: ['lastNotNull'] } },
    },
  ),
  stat(
    'Rounds skipped',
    'Rounds not started because the previous round of the target was still running (interval shorter than count × timeout).',
    [4, 5],
    [q(`sum(increase(tcpping_rounds_skipped_total${sel()}[$__range]))`, 'skipped', { instant: true })],
    {
      unit: 'short',
      decimals: 0,
      thresholds: steps([null, 'green'], [1, 'yellow']),
    },
  ),
  stat(
    'Version',
    'tcpping and Node.js versions of the instance.',
    [5, 5],
    [q(`tcpping_build_info${inst}`, '{{version}} (Node.js {{nodejs_version}})', { instant: true })],
    {
      options: { colorMode: 'none', graphMode: 'none', textMode: 'name', reduceOptions: { calcs: ['lastNotNull'] } },
    },
  ),
];

/** Places panels left to right, wrapping at 24 columns; a row starts a new line. */
function layout(panels) {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const p of panels) {
    if (p.type === 'row' || x + p.gridPos.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    p.gridPos = { h: p.gridPos.h, w: p.gridPos.w, x, y };
    x = p.type === 'row' ? 24 : x + p.gridPos.w;
    lineHeight = Math.max(lineHeight, p.gridPos.h);
  }
  return panels;
}

const variable = (name, label, query, extra) => ({
  name,
  label,
  type: 'query',
  datasource: ds,
  query: { query, refId: `${name}-variable` },
  definition: query,
  refresh: 2,
  sort: 1,
  hide: 0,
  ...extra,
});

const dashboard = {
  uid: 'tcpping',
  title: 'tcpping',
  description: 'TCP ping RTT, loss and its reasons per target, the embedded responder, and the health of tcpping itself.',
  tags: ['tcpping', 'network'],
  editable: true,
  graphTooltip: 1,
  refresh: '30s',
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-3h', to: 'now' },
  timepicker: {},
  timezone: 'browser',
  links: [],
  annotations: {
    list: [
      {
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      },
      // The shipped alerts (deploy/prometheus/rules/tcpping.alerts.yml) while they fire, as regions on every panel.
      {
        name: 'tcpping alerts',
        datasource: ds,
        enable: true,
        iconColor: 'red',
        expr: 'ALERTS{alertstate="firing", alertname=~"Tcpping.*", instance=~"$instance"}',
        step: '30s',
        titleFormat: '{{alertname}}',
        textFormat: '{{severity}}: {{target}} on {{instance}}',
        tagKeys: 'alertname,severity,target',
        useValueForTime: false,
      },
    ],
  },
  templating: {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '' },
      // Several at once: a mesh has one instance per agent, and the mesh matrix compares them.
      variable('instance', 'Instance', 'label_values(tcpping_build_info, instance)', {
        multi: true,
        includeAll: true,
        current: { text: ['All'], value: ['$__all'] },
      }),
      variable('target', 'Target', 'label_values(tcpping_target_info{instance=~"$instance"}, target)', {
        multi: true,
        includeAll: true,
        current: { text: ['All'], value: ['$__all'] },
      }),
    ],
  },
  panels: layout([...overview, ...perTarget, ...path, ...mesh, ...responder, ...health]),
};

const json = `${JSON.stringify(dashboard, null, 2)}\n`;
if (process.argv.includes('--stdout')) process.stdout.write(json);
else writeFileSync(new URL('./dashboards/tcpping.json', import.meta.url), json);
