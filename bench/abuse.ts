import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeAll,
  holdApart,
  legitimatePingsApart,
  metric,
  openMany,
  type PingerResult,
  percentileOf,
  type Served,
  serve,
  sleep,
  splitLines,
} from '../test/abuse/attacks.js';
import { closedPort } from '../test/helpers/servers.js';
import type { Row } from './report.js';

/**
 * `npm run bench -- --only abuse [--bin PATH]`: the attacks of the README's reliability table at
 * full size against `tcpping serve` on its default limits, each beside a legitimate client pinging
 * 20 times a second. `--bin` runs another build's CLI (the figures before the fixes). The attackers'
 * connections are held by child processes, 10,000 each, below the open-file limit of each.
 */
export interface AbuseOptions {
  readonly bin: string;
  readonly legitMs: number;
}

const row = (name: string, value: number, unit: string, note: string): Row => ({
  section: 'abuse',
  name,
  unit,
  ours: value,
  floor: Number.NaN,
  ratio: Number.NaN,
  note,
});
const lossNote = (r: PingerResult) =>
  `${r.lost}/${r.sent} lost${
    r.lost
      ? ` (${Object.entries(r.reasons)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`
      : ''
  }, p99 ${percentileOf(r.rttMs, 99).toFixed(2)} ms`;

function baseConfig(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    log: { level: 'info' },
    responder: { listen: `127.0.0.1:${port}`, dropRate: 0 },
    web: { listenAddress: '127.0.0.1:0', enableLifecycle: true },
    icmp: { capture: 'off' },
    targets: [],
    ...extra,
  };
}

export async function runAbuse(options: AbuseOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const port = await closedPort();
  // The service runs with the open-file limit a default systemd or shell gives here (20,000).
  let service: Served = await serve(baseConfig(port), options.bin, 20_000);
  try {
    // Connections held open by child processes beside the legitimate client, then closed.
    const flood = async (name: string, count: number, trickleMs?: number) => {
      log(`abuse: ${name}…`);
      const held = await holdApart(port, count, trickleMs);
      const pings = await legitimatePingsApart(port, 20, options.legitMs);
      await held.close();
      const note = `${lossNote(pings)}; ${held.opened} held open once all were opened`;
      rows.push(row(`${name}: legitimate loss`, (100 * pings.lost) / pings.sent, '%', note));
      raw[name] = pings;
      await sleep(2000);
    };
    await flood('slowloris 8,000 conns', 8000, 5000);
    await flood('10,000 idle conns', 10_000);

    log('abuse: 20,000 idle HTTP connections…');
    const web = await holdApart(service.webPort, 20_000);
    const started = performance.now();
    const scrape = await fetch(`http://127.0.0.1:${service.webPort}/metrics`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => `${r.status} in ${(performance.now() - started).toFixed(0)} ms`,
      (e: Error) => `failed: ${e.message}`,
    );
    const c = await legitimatePingsApart(port, 20, options.legitMs);
    await web.close();
    rows.push(
      row(
        '20,000 idle HTTP conns: legitimate loss',
        (100 * c.lost) / c.sent,
        '%',
        `${lossNote(c)}; ${web.opened} held open once all were opened; GET /metrics ${scrape}`,
      ),
    );
    raw.webFlood = { pings: c, scrape };
    await sleep(2000);

    log('abuse: 200 pings split one byte per segment…');
    const before = await metric(service.webPort, 'tcpping_responder_pings_total');
    const replies = await splitLines(port, 200);
    const counted = (await metric(service.webPort, 'tcpping_responder_pings_total')) - before;
    rows.push(row('200 pings split per byte: counted', counted, 'pings', `${replies} replies`));

    log('abuse: cut-off clients, 10 s…');
    const logBefore = service.logBytes();
    const end = performance.now() + 10_000;
    let clients = 0;
    while (performance.now() < end) {
      const batch = await openMany(port, 200, 200);
      for (const s of batch) s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff]));
      clients += batch.length;
      await sleep(20);
      closeAll(batch);
    }
    rows.push(row('cut-off clients for 10 s: log', (service.logBytes() - logBefore) / 1024, 'KiB', `${clients} clients`));
  } finally {
    await service.stop();
  }

  log('abuse: a 33 MB invalid target file, then a FIFO…');
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-abuse-files-'));
  mkdirSync(join(dir, 'targets'));
  service = await serve(baseConfig(await closedPort(), { targetFiles: [join(dir, 'targets', '*.yaml')] }), options.bin, 20_000);
  try {
    const reload = async (timeoutMs: number) => {
      const t0 = performance.now();
      const answer = await fetch(`http://127.0.0.1:${service.webPort}/-/reload`, {
        method: 'POST',
        signal: AbortSignal.timeout(timeoutMs),
      }).then(
        (r) => `${r.status}`,
        () => `no answer within ${timeoutMs / 1000} s`,
      );
      return { seconds: (performance.now() - t0) / 1000, answer };
    };
    writeFileSync(join(dir, 'targets', 'big.yaml'), `- targets: [${'"x", '.repeat(6_600_000)}]\n`);
    const big = await reload(120_000);
    const rss = await metric(service.webPort, 'process_resident_memory_bytes').catch(() => Number.NaN);
    rows.push(
      row('33 MB invalid target file: reload', big.seconds, 's', `answer ${big.answer}; RSS after ${(rss / 2 ** 20).toFixed(0)} MiB`),
    );
    execFileSync('mkfifo', [join(dir, 'targets', 'pipe.yaml')]);
    const fifo = await reload(10_000);
    rows.push(row('a FIFO matching the glob: reload', fifo.seconds, 's', `answer ${fifo.answer}`));
  } finally {
    await service.stop();
  }

  log("abuse: SIGTERM while a changed target's ping waits (timeoutMs 20000)…");
  const selfPort = await closedPort();
  const slow = (timeoutMs: number) =>
    baseConfig(selfPort, {
      responder: { listen: `127.0.0.1:${selfPort}`, dropRate: 1 },
      defaults: { count: 1, intervalMs: 60_000, timeoutMs },
      targets: [{ name: 'slow', address: `127.0.0.1:${selfPort}` }],
    });
  service = await serve(slow(20_000), options.bin);
  await sleep(500);
  writeFileSync(service.file, JSON.stringify(slow(20_001)));
  service.child.kill('SIGHUP');
  await sleep(1000);
  const t0 = performance.now();
  const code = await service.stop();
  rows.push(row('SIGTERM, a changed target waiting 20 s: shutdown', (performance.now() - t0) / 1000, 's', `exit ${code}`));
  return { rows, raw };
}
