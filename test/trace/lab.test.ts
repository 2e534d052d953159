import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseExposition } from '../helpers/exposition.js';
import { finished, labSkipReason } from '../helpers/netns.js';
import { ChainLab, closedPort, hops, port } from './chain-lab.js';

const skip = labSkipReason();
const dest = { 4: `${hops[4].server}:${port}`, 6: `[${hops[6].server}]:${port}` } as const;
const FAST = ['-W', '0.2', '--max-silent-hops', '2'];

describe('TCP path traces in a namespace lab: four routers deep, a route change, equal-cost paths, IPv4 and IPv6', { skip }, () => {
  const lab = new ChainLab('trace');
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-trace-lab-'));
  before(async () => {
    lab.create();
    const listen = `require('node:net').createServer((s) => s.on('error', () => {})).listen(${port}, '::')`;
    lab.spawn(lab.server, [process.execPath, '-e', listen]);
    for (let i = 0; i < 50 && !lab.exec(lab.server, ['ss', '-Hltn']).includes(`:${port}`); i++) await sleep(100);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    lab.destroy();
  });
  const trace = async (...args: string[]) => finished(lab.node(lab.client, ['src/cli/bin.ts', 'trace', ...args]), 30_000);

  test('tcpping trace names each router and the destination, IPv4 and IPv6; a closed port answers RST', async () => {
    const [json4, json6, text, closed] = await Promise.all([
      trace(dest[4], '--json', ...FAST),
      trace(dest[6], '--json', ...FAST),
      trace(dest[4], ...FAST),
      trace(`[${hops[6].server}]:${closedPort}`, ...FAST),
    ]);
    for (const [family, run] of [
      [4, json4],
      [6, json6],
    ] as const) {
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const report = JSON.parse(run.stdout);
      const h = hops[family];
      assert.deepEqual(
        report.hops.map((hop: { address: string; received: number; answer: string }) => [hop.address, hop.received, hop.answer]),
        [
          [h.r1, 3, 'time-exceeded'],
          [h.r2, 3, 'time-exceeded'],
          [h.r3a, 3, 'time-exceeded'],
          [h.r4, 3, 'time-exceeded'],
          [h.server, 3, 'syn-ack'],
        ],
        `IPv${family}`,
      );
      assert.deepEqual([report.end, report.reached, report.answersStopAt], ['syn-ack', true, null]);
      assert.equal(report.hops[0].icmp.type, family === 4 ? 11 : 3);
    }
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^ {2}3 {2}${hops[4].r3a.replaceAll('.', '\\.')} +0% +3 +3 .* Time to live exceeded in transit \\(type 11, code 0\\)$`,
        'm',
      ),
    );
    assert.match(text.stdout, new RegExp(`^--- ${dest[4]} answered SYN-ACK \\(port open\\) at hop 5; from port \\d+`, 'm'));
    assert.equal(closed.code, 0, closed.stdout + closed.stderr);
    assert.match(closed.stdout, /^ {2}5 {2}fd88:5::2 .* RST \(port closed\)$/m);
  });

  test('a router that sends no time exceeded is *, not loss; when hop 3 forwards nothing, answers stop there', async () => {
    lab.quiet('r2', true);
    lab.dropAt('r3a', true);
    try {
      const [text, json] = await Promise.all([trace(dest[4], ...FAST), trace(dest[6], '--json', ...FAST)]);
      assert.equal(text.code, 1, text.stdout + text.stderr);
      assert.match(text.stdout, /^ {2}2 {2}\* +3 +0 +no answer$/m, 'a silent hop: *, no loss figure');
      assert.match(
        text.stdout,
        new RegExp(`^--- answers stop at hop 3 \\(${hops[4].r3a}\\), nothing from hop 4 to 5; ${dest[4]} did not answer;`, 'm'),
      );
      const report = JSON.parse(json.stdout);
      assert.deepEqual(
        report.hops.map((h: { address: string | null; lossRatio: number | null }) => [h.address, h.lossRatio]),
        [
          [hops[6].r1, 0],
          [null, null],
          [hops[6].r3a, 0],
          [null, null],
          [null, null],
        ],
      );
      assert.deepEqual([report.end, report.answersStopAt], ['silence', { hop: 3, address: hops[6].r3a }]);
    } finally {
      lab.quiet('r2', false);
      lab.dropAt('r3a', false);
    }
  });

  test('equal-cost paths hashed on ports: every probe of a trace takes one path, and other flows take the other', async () => {
    lab.via('both');
    lab.countFlows('r3a');
    lab.countFlows('r3b');
    try {
      const runs = await Promise.all([
        finished(lab.node(lab.client, ['test/trace/driver.ts', hops[4].server, String(port), '16', '20000']), 30_000),
        finished(lab.node(lab.client, ['test/trace/driver.ts', hops[6].server, String(port), '16', '21000']), 30_000),
      ]);
      const traces = runs.flatMap((r) =>
        r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { sourcePort: number; end: string; hops: string[][] }),
      );
      assert.equal(traces.length, 32, runs.map((r) => r.stderr).join('\n'));
      const counted = { r3a: lab.flows('r3a'), r3b: lab.flows('r3b') };
      const used = new Set<string>();
      for (const t of traces) {
        assert.equal(t.end, 'syn-ack');
        const family = t.sourcePort >= 21000 ? 6 : 4;
        const [router, other] = t.hops[2]?.[0] === hops[family].r3a ? (['r3a', 'r3b'] as const) : (['r3b', 'r3a'] as const);
        assert.deepEqual(t.hops[2], [hops[family][router]], `port ${t.sourcePort}: one router at hop 3`);
        // The three probes of hops 3, 4 and 5 all entered that router, none the other.
        assert.equal(counted[router].get(t.sourcePort), 9, `port ${t.sourcePort} at ${router}`);
        assert.equal(counted[other].get(t.sourcePort), undefined, `port ${t.sourcePort} at ${other}`);
        used.add(`${family}/${router}`);
      }
      assert.deepEqual([...used].sort(), ['4/r3a', '4/r3b', '6/r3a', '6/r3b'], 'both paths carry some flows, in each family');
    } finally {
      lab.via('r3a');
    }
  });

  test("RTTs are the kernel's: a busy event loop (held 20 ms of every 25) does not stretch them", async () => {
    const stalled = lab.spawn(lab.client, [
      'env',
      'STALL_MS=20',
      process.execPath,
      '--import',
      'tsx',
      'test/trace/driver.ts',
      hops[4].server,
      String(port),
      '3',
      '22000',
    ]);
    const run = await finished(stalled, 30_000);
    const traces = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { end: string; worstSeconds: (number | null)[] });
    assert.equal(traces.length, 3, run.stderr);
    for (const t of traces) {
      assert.equal(t.end, 'syn-ack');
      // Time exceeded: the error's arrival stamp; the SYN-ACK: the handshake's RTT sample. Userland would read 20 ms and more.
      for (const worst of t.worstSeconds)
        assert.ok(worst !== null && worst < 0.005, `worst RTT ${worst} s under a busy loop: ${run.stdout}`);
    }
  });

  test('the service: a trace when loss begins names hop 3, counts the route change, and traces the recovery', {
    timeout: 60_000,
  }, async () => {
    lab.quiet('r2', true);
    const web = 11001;
    const config = join(dir, 'tcpping.json');
    writeFileSync(
      config,
      JSON.stringify({
        log: { level: 'info' },
        responder: { enabled: false },
        web: { listenAddress: `127.0.0.1:${web}` },
        defaults: { mode: 'connect', count: 3, intervalMs: 1000, timeoutMs: 200 },
        trace: { everyRounds: 1000, probeTimeoutMs: 200, maxSilentHops: 2, maxPerMinute: 60 },
        targets: [
          { name: 'v4', address: dest[4] },
          { name: 'v6', address: dest[6] },
        ],
      }),
    );
    const service = lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config]);
    const output = finished(service, 55_000);
    const get = (path: string) => lab.exec(lab.client, ['curl', '-sf', '--max-time', '2', `http://127.0.0.1:${web}${path}`]);
    type Path = {
      trigger: string;
      end: string;
      answersStopAt: { hop: number; address: string } | null;
      changedHops: number[] | null;
      hops: { address: string | null }[];
    };
    type Shown = { name: string; path: Path | null; pathChanges: number };
    const targets = async (done: (t: Shown) => boolean, what: string): Promise<Shown[]> => {
      for (let i = 0; i < 60; i++) {
        try {
          const data = JSON.parse(get('/api/v1/targets')).data as Shown[];
          if (data.length === 2 && data.every(done)) return data;
        } catch {
          // not listening yet
        }
        await sleep(250);
      }
      service.kill('SIGTERM');
      const { stdout, stderr } = await output;
      assert.fail(`${what}: not seen in 15 s; the service said:\n${stdout}${stderr}`);
    };
    try {
      // The first round's trace: r2 silent (*, and no one cares), through r3a to the server.
      const first = await targets((t) => t.path?.trigger === 'periodic', 'the first trace');
      for (const t of first) {
        const h = hops[t.name === 'v4' ? 4 : 6];
        assert.deepEqual(
          t.path?.hops.map((hop) => hop.address),
          [h.r1, null, h.r3a, h.r4, h.server],
          t.name,
        );
        assert.deepEqual([t.path?.end, t.path?.answersStopAt], ['syn-ack', null]);
      }
      // The route moves to r3b, which forwards nothing: the pings are lost, the trace at the onset says where.
      lab.via('r3b');
      lab.dropAt('r3b', true);
      const lost = await targets((t) => t.path?.trigger === 'loss', 'the trace at loss onset');
      for (const t of lost) {
        const h = hops[t.name === 'v4' ? 4 : 6];
        assert.deepEqual(t.path?.answersStopAt, { hop: 3, address: h.r3b }, t.name);
        assert.deepEqual([t.path?.changedHops, t.pathChanges], [[3], 1], t.name);
      }
      const metrics = parseExposition(get('/metrics'));
      for (const [name, family] of [
        ['v4', 4],
        ['v6', 6],
      ] as const) {
        assert.equal(metrics.value('tcpping_path_changes_total', { target: name }), 1);
        assert.equal(metrics.value('tcpping_path_hops', { target: name }), 3);
        assert.equal(
          metrics.value('tcpping_path_last_hop_info', { target: name, hop: '3', address: hops[family].r3b, answer: 'time-exceeded' }),
          1,
        );
      }
      // The trace's time-exceeded errors are never taken for a ping's (its source port is outside the pings' range).
      assert.deepEqual(
        metrics.samples.filter((s) => s.name === 'tcpping_icmp_errors_unverified_total' && s.value > 0).map((s) => s.labels),
        [],
      );
      assert.match(
        get('/'),
        new RegExp(`data-path="silence" data-path-stop="3" data-path-stop-address="${hops[4].r3b}" data-path-changes="1">`),
      );
      // r3b forwards again: the recovery is traced, the path whole, no further change.
      lab.dropAt('r3b', false);
      const recovered = await targets((t) => t.path?.trigger === 'recovery', 'the trace at recovery');
      for (const t of recovered) assert.deepEqual([t.path?.end, t.path?.changedHops, t.pathChanges], ['syn-ack', [], 1], t.name);
    } finally {
      service.kill('SIGTERM');
      await output;
      lab.quiet('r2', false);
      lab.via('r3a');
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
