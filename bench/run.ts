import { runAbuse } from './abuse.js';
import { runControl } from './control.js';
import { runPeers } from './peers.js';
import { machine, printTable, type Row, writeResults } from './report.js';
import { runRtt } from './rtt.js';
import { runScale } from './scale.js';
import { runScrape } from './scrape.js';
import { runReloads, runSeries } from './series.js';
import { runShard } from './shard.js';
import { runThroughput } from './throughput.js';
import { runWire } from './wire.js';

/**
 * `npm run bench [-- --quick] [-- --only a,b,c,d,e,control,abuse,series,reload,peers,shard] [-- --bin PATH] [-- --ref REV] [-- --passes N]`:
 * every figure against a floor measured in the same run, traffic to 127.0.0.1 only. Prints a table;
 * writes bench/results/<time>.json. `control` and `abuse` run `tcpping serve` (or the CLI at --bin,
 * e.g. an older build's src/cli/bin.ts, for before/after figures) and are not in the default set;
 * nor is `series` (/metrics and reloads at 10,000 targets, a few minutes), or `reload` (its reloads
 * alone). `--ref main` adds that revision's service to (c), compiled apart and run beside this
 * tree's. `--peers` (the same as `--only peers`; `--k 100,1000` for other target counts) measures
 * blackbox_exporter and smokeping_prober beside us, installing them as root (peers.ts).
 * `npm run bench -- --profile ...` profiles one load instead (see bench/profile.ts).
 */
const argv = process.argv.slice(2);
if (argv.includes('--profile')) {
  await import('./profile.js');
  process.exit(0);
}
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = new Set((onlyAt >= 0 ? (argv[onlyAt + 1] ?? '') : argv.includes('--peers') ? 'peers' : 'a,b,c,d,e').split(','));
const kAt = argv.indexOf('--k');
const ks = kAt >= 0 ? (argv[kAt + 1] ?? '').split(',').map(Number) : undefined;
const binAt = argv.indexOf('--bin');
const bin = binAt >= 0 ? (argv[binAt + 1] ?? '') : 'src/cli/bin.ts';
const refAt = argv.indexOf('--ref');
const ref = refAt >= 0 ? argv[refAt + 1] : undefined;
const passesAt = argv.indexOf('--passes');
const passes = passesAt >= 0 ? { passes: Number(argv[passesAt + 1]) } : {};

const plan = quick
  ? {
      rtt: { reps: 3, pings: 300 },
      throughput: { reps: 4, clients: 8, durationMs: 1000 },
      scale: { targets: 1000, windowMs: 2000, windows: 5, warmupMs: 5000, passes: 1, ...passes, ...(ref ? { ref } : {}) },
      scrape: { targets: 1000, warmupMs: 5000, phaseMs: 3000, pairs: 2, builds: 20 },
      control: { bin, targets: 1000, intervalMs: 5000, warmupMs: 5000, phaseMs: 5000, pairs: 1 },
      series: {
        targets: 10_000,
        intervalMs: 10_000,
        warmupMs: 12_000,
        phaseMs: 5000,
        pairs: 2,
        builds: 6,
        reloads: 4,
        backgroundWindows: 2,
      },
      abuse: { bin, legitMs: 5000 },
      wire: { pairs: 200, reps: 2 },
      peers: { ks: ks ?? [100, 1000], reps: 1, warmupMs: 3000, windowMs: 4000, windows: 2 },
      shard: { targets: ks?.[0] ?? 10_000, workers: [0, 2], windows: 3, windowMs: 3000, warmupMs: 12_000, passes: 1 },
    }
  : {
      rtt: { reps: 9, pings: 1000 },
      throughput: { reps: 10, clients: 8, durationMs: 1500 },
      scale: { targets: 1000, windowMs: 3000, windows: 8, warmupMs: 8000, passes: 2, ...passes, ...(ref ? { ref } : {}) },
      scrape: { targets: 1000, warmupMs: 10_000, phaseMs: 5000, pairs: 4, builds: 50 },
      control: { bin, targets: 1000, intervalMs: 5000, warmupMs: 10_000, phaseMs: 10_000, pairs: 3 },
      series: {
        targets: 10_000,
        intervalMs: 10_000,
        warmupMs: 15_000,
        phaseMs: 8000,
        pairs: 3,
        builds: 20,
        reloads: 8,
        backgroundWindows: 4,
      },
      abuse: { bin, legitMs: 15_000 },
      wire: { pairs: 500, reps: 5 },
      peers: { ks: ks ?? [100, 1000, 10_000], reps: 2, warmupMs: 4000, windowMs: 6000, windows: 3 },
      shard: { targets: ks?.[0] ?? 10_000, workers: [0, 1, 2], windows: 4, windowMs: 5000, warmupMs: 20_000, passes: 2 },
    };

const log = (line: string) => console.error(line);
const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const started = Date.now();
log(`tcpping bench${quick ? ' (quick)' : ''}: ${JSON.stringify(machine())}`);
if (only.has('a')) {
  log('(a) latency on loopback…');
  const r = await runRtt(plan.rtt);
  rows.push(...r.rows);
  raw.latency = r.raw;
}
if (only.has('b')) {
  log('(b) responder throughput…');
  const r = await runThroughput(plan.throughput);
  rows.push(...r.rows);
  raw.throughput = r.raw;
}
if (only.has('c')) {
  log(
    `(c) cost at scale (about ${Math.round(((plan.scale.windowMs * plan.scale.windows + plan.scale.warmupMs + 3000) * 3 * plan.scale.passes + plan.scale.warmupMs * 2 + 15_000) / 1000)} s)…`,
  );
  const r = await runScale(plan.scale, log);
  rows.push(...r.rows);
  raw.scale = r.raw;
}
if (only.has('d')) {
  log('(d) /metrics scrape…');
  const r = await runScrape(plan.scrape);
  rows.push(...r.rows);
  raw.scrape = r.raw;
}
if (only.has('e')) {
  log('(e) RTT error against a capture, kernel vs userland timing…');
  const r = await runWire(plan.wire, log);
  rows.push(...r.rows);
  raw.wire = r.raw;
}
if (only.has('control')) {
  log(`(control) control plane vs data plane, ${bin}…`);
  const r = await runControl(plan.control, log);
  rows.push(...r.rows);
  raw.control = r.raw;
}
if (only.has('series')) {
  log('(series) /metrics and reloads at 10,000 targets…');
  const r = await runSeries(plan.series, log);
  rows.push(...r.rows);
  raw.series = r.raw;
}
if (only.has('reload')) {
  log('(reload) reloads of 10,000 targets while they are pinged…');
  const r = await runReloads(plan.series);
  rows.push(...r.rows);
  raw.reload = r.raw;
  const sharded = await runReloads(plan.series, 2);
  rows.push(...sharded.rows);
  raw.shardedReload = sharded.raw;
}
if (only.has('abuse')) {
  log(`(abuse) attacks beside a legitimate pinger, ${bin}…`);
  const r = await runAbuse(plan.abuse, log);
  rows.push(...r.rows);
  raw.abuse = r.raw;
}
if (only.has('shard')) {
  log(`(shard) ${plan.shard.targets} targets, pings on the main thread and on ${plan.shard.workers.join(', ')} worker threads…`);
  const r = await runShard(plan.shard, log);
  rows.push(...r.rows);
  raw.shard = r.raw;
}
if (only.has('peers')) {
  log(`(peers) blackbox_exporter and smokeping_prober beside us, K = ${plan.peers.ks.join(', ')}…`);
  const r = await runPeers(plan.peers, log);
  rows.push(...r.rows);
  raw.peers = r.raw;
}
console.log('');
printTable(rows);
const file = writeResults({
  date: new Date().toISOString(),
  quick,
  machine: machine(),
  plan,
  seconds: (Date.now() - started) / 1000,
  rows,
  raw,
});
console.log(`\nratio = median over repetitions of ours/floor (same run); figures are medians. Results: ${file}`);
