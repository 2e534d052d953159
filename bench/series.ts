import { serviceNodeFlags } from '../src/cli/node-flags.js';
import { spawnChild } from './child.js';
import { faultCostUs } from './faults.js';
import { printTable, type Row } from './report.js';
import { buildAlone, builtRows, loadedRows, runLoaded, type ScrapeOptions } from './scrape.js';
import { median, RELOAD_WINDOW_MS, sleep } from './stats.js';

/**
 * (series) /metrics and reloads at 10,000 targets: the scrape benchmark (d) run for the default
 * series and for a lean set (metrics.drop: the classic buckets, which a Prometheus storing native
 * histograms does not keep), then reloads of all the targets while they are pinged. One event
 * loop cannot carry 10,000 pings a second, so targets are pinged every 10 s (1,000 pings/s).
 */
export interface SeriesOptions extends Omit<ScrapeOptions, 'drop' | 'section'> {
  /** Reloads of each kind. */
  readonly reloads: number;
  /**
   * Stretches of one interval with no reload (each target pinged once in each), taken before the
   * reloads: the latest a ping starts there is what the loop's own collections give anyway.
   */
  readonly backgroundWindows: number;
}

type Stretch = Pick<Gaps, 'maxPingLagMs' | 'p99PingLagMs' | 'pings' | 'pageFaults'>;

/** `windows` stretches of `ms` each, one after the other, from a child's `quiet` command. */
async function stretches(child: Awaited<ReturnType<typeof spawnChild>>, windows: number, ms: number): Promise<Stretch[]> {
  const out: Stretch[] = [];
  for (let i = 0; i < windows; i++) out.push(await child.rpc<Stretch>('quiet', { ms }, ms + 60_000));
  return out;
}

const maxima = (of: readonly Stretch[]) => of.map((s) => s.maxPingLagMs.toFixed(1)).join(', ');

export const leanDrop = ['tcpping_rtt_seconds_bucket', 'tcpping_connect_seconds_bucket'] as const;

/**
 * The lean set, and four one-series families that a prober of 10,000 targets can best spare (README,
 * "Dropping series you do not need"): /metrics under 10 MB in echo mode too.
 */
export const leanerDrop = [
  ...leanDrop,
  'tcpping_pings_stalled_total',
  'tcpping_rounds_skipped_total',
  'tcpping_target_address_changes_total',
  'tcpping_path_hops',
] as const;

type Gaps = {
  wallMs: number;
  maxGapMs: number;
  p99GapMs: number;
  maxCpuGapMs: number;
  p99CpuGapMs: number;
  turns: number;
  maxPingLagMs: number;
  p99PingLagMs: number;
  pings: number;
  /** Minor page faults of the process over the stretch (each a page fresh from the kernel). */
  pageFaults: number;
};
type Reloaded = { reload: Gaps; quiet: Gaps; diff: { added: number; removed: number; changed: number } };

/** Reload kinds, in the order run: each rewrites the file from the state the one before left. */
const kinds = (targets: number) =>
  [
    { name: `every target's labels changed (${targets} restarted)`, variant: (i: number) => ({ labels: `g${i}` }) },
    { name: `${targets} targets replaced by ${targets} others`, variant: (i: number) => ({ labels: `g${i}`, prefix: `other${i}` }) },
    { name: 'one target added', variant: (i: number) => ({ labels: `g${i}`, prefix: `other${i}`, extra: 1 }) },
  ] as const;

/** `workers`: the service's scheduler.workers (its pings on worker threads, the reload's work on the main one). */
export async function runReloads(options: SeriesOptions, workers = 0): Promise<{ rows: Row[]; raw: unknown }> {
  const responder = await spawnChild('./child-server.ts', ['responder']);
  const child = await spawnChild(
    './child-reload.ts',
    [String(responder.ready.port), String(options.targets), String(options.intervalMs ?? 10_000), String(workers)],
    { execArgv: serviceNodeFlags },
  );
  const section = workers > 0 ? `series reload, ${workers} workers` : 'series reload';
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    await child.rpc('start', undefined, 120_000);
    await sleep(options.warmupMs);
    const intervalMs = options.intervalMs ?? 10_000;
    const background = await stretches(child, options.backgroundWindows, intervalMs);
    raw.background = background;
    for (const [k, kind] of kinds(options.targets).entries()) {
      const runs: Reloaded[] = [];
      for (let i = 0; i < options.reloads; i++) {
        // Each run of a kind starts from the state its variant leaves (`i` keeps them distinct).
        if (k === 2) {
          await child.rpc('reload', kinds(options.targets)[1].variant(100 + i), 120_000);
          await sleep(1100); // MIN_RELOAD_GAP_MS, and the aftermath of that reload out of the way
        }
        runs.push(await child.rpc<Reloaded>('reload', kind.variant(k === 2 ? 100 + i : 10 * k + i), 120_000));
        await sleep(1100); // MIN_RELOAD_GAP_MS
      }
      raw[kind.name] = runs;
      const diffs = runs.map((r) => `+${r.diff.added} -${r.diff.removed} ~${r.diff.changed}`)[0];
      const med = (pick: (r: Reloaded) => number) => median(runs.map(pick));
      rows.push(
        {
          section,
          name: `ping lag, max, ${kind.name}`,
          unit: 'ms',
          ours: med((r) => r.reload.maxPingLagMs),
          floor: med((r) => r.quiet.maxPingLagMs),
          ratio: Number.NaN,
          note: `the most any ping started late in the ${RELOAD_WINDOW_MS / 1000} s from the reload's start, and at least 100 ms past its end (${med((r) => r.reload.pings).toFixed(0)} pings); p99 ${med((r) => r.reload.p99PingLagMs).toFixed(2)} ms (floor ${med((r) => r.quiet.p99PingLagMs).toFixed(2)}); page faults ${med((r) => r.reload.pageFaults).toFixed(0)} (floor ${med((r) => r.quiet.pageFaults).toFixed(0)}); floor: a quiet stretch as long`,
        },
        // With workers, process CPU is theirs too: the main thread's holds are the wall row's.
        ...(workers > 0
          ? []
          : [
              {
                section,
                name: `event loop held (CPU), max, ${kind.name}`,
                unit: 'ms',
                ours: med((r) => r.reload.maxCpuGapMs),
                floor: med((r) => r.quiet.maxCpuGapMs),
                ratio: Number.NaN,
                note: `median of ${runs.length} reloads, each its longest run between two turns of the loop in process CPU time; floor: a quiet stretch as long; p99 ${med((r) => r.reload.p99CpuGapMs).toFixed(2)} ms; diff ${diffs}`,
              },
            ]),
        {
          section,
          name: `event loop held (wall), max, ${kind.name}`,
          unit: 'ms',
          ours: med((r) => r.reload.maxGapMs),
          floor: med((r) => r.quiet.maxGapMs),
          ratio: Number.NaN,
          note: `p99 ${med((r) => r.reload.p99GapMs).toFixed(2)} ms (floor ${med((r) => r.quiet.p99GapMs).toFixed(2)}); wall includes time the shared machine gave others${workers > 0 ? ', and the 1 ms timer that watches the loop' : ''}; reload took ${med((r) => r.reload.wallMs).toFixed(0)} ms${workers > 0 ? `; median of ${runs.length} reloads, diff ${diffs}` : ''}`,
        },
      );
    }
    // The service ends before its floor starts: the two never share the machine's 2 cores.
    await child.stop();
    const ourBackground = median(background.map((s) => s.maxPingLagMs));
    const backgroundName = `ping lag, max, any ${intervalMs / 1000} s with no reload (each target pinged once)`;
    const backgroundNote = (of: readonly Stretch[]) =>
      `median of ${of.length} stretches (maxima ${maxima(of)} ms), p99 ${median(of.map((s) => s.p99PingLagMs)).toFixed(2)} ms, ${median(of.map((s) => s.pings)).toFixed(0)} pings and ${median(of.map((s) => s.pageFaults)).toFixed(0)} page faults each`;
    if (workers === 0) {
      const fault = faultCostUs();
      raw.pageFault = fault;
      rows.push({
        section,
        name: 'a page fault (memory fresh from the kernel), this machine',
        unit: 'µs',
        ours: fault.usPerFault,
        floor: Number.NaN,
        ratio: Number.NaN,
        note: `each page of a new 32 MiB buffer touched once (${fault.faultsPerProbe} faults), median of 5: what a page V8 takes anew costs here (a reload's new state promoted, a Map's table past 128 KiB), times the page faults in the rows above`,
      });
      const replaced = raw[kinds(options.targets)[1].name] as Reloaded[];
      const ours = median(replaced.map((r) => r.reload.maxPingLagMs));
      const bare = await runBareReloads(options, responder.ready.port as number);
      raw.bare = bare.runs;
      rows.push(
        {
          section,
          name: `ping lag, max, ${options.targets} targets made anew: replaced, against the bare loop making as much state`,
          unit: 'ms',
          ours,
          floor: bare.maxPingLagMs,
          ratio: ours / bare.maxPingLagMs,
          note: bare.note,
        },
        {
          section,
          name: `${backgroundName}, against the bare loop`,
          unit: 'ms',
          ours: ourBackground,
          floor: bare.backgroundMaxPingLagMs,
          ratio: ourBackground / bare.backgroundMaxPingLagMs,
          note: `ours: ${backgroundNote(background)}; the bare loop's (with tcpping's state, before its reloads): ${backgroundNote(bare.background)}`,
        },
      );
    } else {
      rows.push({
        section,
        name: backgroundName,
        unit: 'ms',
        ours: ourBackground,
        floor: Number.NaN,
        ratio: Number.NaN,
        note: backgroundNote(background),
      });
    }
  } finally {
    await child.stop();
    await responder.stop();
  }
  return { rows, raw };
}

/**
 * What a target's state takes on the heap at a reload that makes it, before its first ping: heap
 * snapshots of the service on 10,000 targets and on one, connect mode, pings an hour apart
 * (README, "Every core": 1.72 KB in 21 objects). An input to the floor, measured apart: 21
 * objects of child-bare-reload.ts's shape take about as much (1.71–1.73 kB, measured in its run). A
 * change that makes a target lighter or heavier should update it.
 */
const TARGET_STATE = { objects: 21 } as const;

/** About a quarter of it (0.44 kB), for how the floor moves with the state a target takes. */
const QUARTER_STATE = { objects: 6 } as const;

type BareReloaded = {
  reload: Pick<Gaps, 'maxPingLagMs' | 'p99PingLagMs' | 'pings' | 'wallMs' | 'pageFaults'>;
  quiet: BareReloaded['reload'];
};

/**
 * The floor of a reload that makes every target anew (child-bare-reload.ts): the bare loop pinging
 * the same targets against the same responder, making TARGET_STATE a target anew 100 a turn, the
 * same count of reloads; and a quarter of that state, for what a lighter target would buy.
 */
async function runBareReloads(
  options: SeriesOptions,
  port: number,
): Promise<{ runs: unknown; maxPingLagMs: number; background: Stretch[]; backgroundMaxPingLagMs: number; note: string }> {
  const child = await spawnChild('./child-bare-reload.ts', [String(port), String(options.targets), String(options.intervalMs ?? 10_000)], {
    execArgv: [...serviceNodeFlags, '--expose-gc'],
  });
  try {
    const bytes = await child.rpc<number>('stateBytes', TARGET_STATE);
    const quarterBytes = await child.rpc<number>('stateBytes', QUARTER_STATE);
    await child.rpc('start', TARGET_STATE);
    await sleep(options.warmupMs);
    const background = await stretches(child, options.backgroundWindows, options.intervalMs ?? 10_000);
    const runs: BareReloaded[] = [];
    const quarter: BareReloaded[] = [];
    for (let i = 0; i < options.reloads; i++) {
      runs.push(await child.rpc<BareReloaded>('reload', TARGET_STATE, 120_000));
      await sleep(1100);
    }
    for (let i = 0; i < options.reloads; i++) {
      quarter.push(await child.rpc<BareReloaded>('reload', QUARTER_STATE, 120_000));
      await sleep(1100);
    }
    const med = (of: BareReloaded[], pick: (r: BareReloaded) => number) => median(of.map(pick));
    const maxPingLagMs = med(runs, (r) => r.reload.maxPingLagMs);
    return {
      runs: { bytes, quarterBytes, background, runs, quarter },
      maxPingLagMs,
      background,
      backgroundMaxPingLagMs: median(background.map((s) => s.maxPingLagMs)),
      note:
        `floor: plain node:net pinging the same targets, making ${(bytes / 1000).toFixed(2)} kB in ${TARGET_STATE.objects} objects a target anew ` +
        `(tcpping's size, from its heap snapshots) 100 a turn, the old dropped, both watched ${RELOAD_WINDOW_MS / 1000} s from the reload's start; its p99 ${med(runs, (r) => r.reload.p99PingLagMs).toFixed(2)} ms, ` +
        `its quiet max ${med(runs, (r) => r.quiet.maxPingLagMs).toFixed(1)} ms, made in ${med(runs, (r) => r.reload.wallMs).toFixed(0)} ms with ${med(runs, (r) => r.reload.pageFaults).toFixed(0)} page faults; ` +
        `${(quarterBytes / 1000).toFixed(2)} kB in ${QUARTER_STATE.objects} objects: max ${med(quarter, (r) => r.reload.maxPingLagMs).toFixed(1)} ms ` +
        `(quiet ${med(quarter, (r) => r.quiet.maxPingLagMs).toFixed(1)}); medians of ${runs.length}`,
    };
  } finally {
    await child.stop();
  }
}

/** Each part's rows as soon as it ends (printed: a later part failing on a busy machine loses nothing). */
async function part(name: string, log: (line: string) => void, run: () => Promise<{ rows: Row[]; raw: unknown }>) {
  log(`  ${name}…`);
  try {
    const r = await run();
    printTable(r.rows);
    return r;
  } catch (error) {
    log(`  ${name} failed: ${(error as Error).message}`);
    return { rows: [], raw: { error: String(error) } };
  }
}

export async function runSeries(options: SeriesOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: unknown }> {
  const profiles = [
    { name: 'default', options: { ...options, section: 'series default' } },
    { name: 'lean', options: { ...options, drop: leanDrop, section: 'series lean' } },
  ];
  // Built alone only: echo-mode targets (2 loss reasons more each), lean and leaner.
  const echo = [
    { name: 'lean, echo mode', options: { ...options, drop: leanDrop, mode: 'echo', section: 'series lean echo' } as const },
    { name: 'leaner, echo mode', options: { ...options, drop: leanerDrop, mode: 'echo', section: 'series leaner echo' } as const },
  ];
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  // The builds alone first: they are what a busy machine disturbs least.
  for (const p of [...profiles, ...echo]) {
    const r = await part(`/metrics of ${options.targets} targets built alone, ${p.name} series`, log, async () => {
      const built = await buildAlone(p.options);
      return { rows: builtRows(p.options, built).flat(), raw: built };
    });
    rows.push(...r.rows);
    raw[`${p.name} built`] = r.raw;
  }
  // The same, with the pings on two worker threads: the scrape's build no longer runs where they do.
  const sharded = {
    name: 'lean, pings on 2 worker threads',
    options: { ...options, drop: leanDrop, workers: 2, section: 'series lean 2 workers' },
  };
  for (const p of [...profiles, sharded]) {
    const r = await part(`${options.targets} targets pinged, scraped, ${p.name} series`, log, async () => {
      const loaded = await runLoaded(p.options);
      return { rows: loadedRows(p.options, loaded), raw: loaded };
    });
    rows.push(...r.rows);
    raw[`${p.name} loaded`] = r.raw;
  }
  const reloads = await part(`reloads of ${options.targets} targets`, log, () => runReloads(options));
  rows.push(...reloads.rows);
  raw.reloads = reloads.raw;
  const shardedReloads = await part(`reloads of ${options.targets} targets, pings on 2 worker threads`, log, () => runReloads(options, 2));
  rows.push(...shardedReloads.rows);
  raw.shardedReloads = shardedReloads.raw;
  return { rows, raw };
}
