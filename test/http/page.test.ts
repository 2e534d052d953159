import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { MAX_CHARTS, refreshSeconds, renderIndex } from '../../src/http/page.js';
import { summarizeRound } from '../../src/stats/round-summary.js';
import { StatusBoard } from '../../src/status/status.js';
import { FakeClock } from '../helpers/fake-clock.js';

function board(targets: Record<string, unknown>[], defaults: Record<string, unknown> = {}) {
  const config = loadConfig({ icmp: { capture: 'off' }, defaults, targets }, 'test', {});
  const status = new StatusBoard(new FakeClock());
  for (const target of config.targets) status.observer.targetAdded?.(target);
  return { status, config };
}

const hostile = '<img src=x onerror="alert(1)">&\'';

test('everything a user or a peer can set is escaped; the page runs no script', () => {
  const { status } = board([{ name: hostile, address: '127.0.0.1:1' }]);
  status.observer.pingFinished?.(hostile, { ok: false, error: { seq: 3, reason: 'mismatch', detail: 'got <script>alert(2)</script>' } });
  status.observer.roundFinished?.(hostile, summarizeRound(20, [0.001]), []);
  const html = renderIndex('1.0 <b>', status.list(), { nowSeconds: 1_700_000_000 });
  assert.doesNotMatch(html, /<img|<script|<b>/i);
  assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;&amp;&#39;/);
  assert.match(html, /got &lt;script&gt;alert\(2\)&lt;\/script&gt;/);
  assert.match(html, /tcpping 1\.0 &lt;b&gt;/);
});

test('a row shows state, last round, last loss with its ICMP error in words, and a chart', () => {
  const { status } = board([
    { name: 'far', address: '10.0.0.9:443', mode: 'connect' },
    { name: 'new', address: '127.0.0.1:2' },
  ]);
  status.observer.pingFinished?.('far', {
    ok: false,
    error: {
      seq: 7,
      reason: 'unreachable',
      detail: 'no reply within 1000 ms',
      icmp: { family: 4, type: 3, code: 1, reporter: '10.0.0.254' },
    },
  });
  status.observer.roundFinished?.('far', summarizeRound(4, [0.001, 0.002, 0.003]), []);
  const html = renderIndex('x', status.list(), { nowSeconds: 1_700_000_000 });
  const far = html.slice(html.indexOf('data-target="far"'), html.indexOf('data-target="new"'));
  assert.match(far, /data-state="degraded"/);
  assert.match(far, /over 10% lost/);
  assert.match(far, /25\.0% loss/);
  assert.match(far, /3 of 4 back/);
  assert.match(far, /rtt min\/avg\/max<br>1\.00\/2\.00\/3\.00 ms/);
  assert.match(far, /unreachable<\/span> no reply within 1000 ms/);
  assert.match(far, /ICMP Destination Host Unreachable \(type 3, code 1\) from 10\.0\.0\.254/);
  assert.match(far, /<svg class="chart"/);
  const fresh = html.slice(html.indexOf('data-target="new"'));
  assert.match(fresh, /data-state="pending"/);
  assert.match(fresh, /no rounds yet/);
  assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 2);
  assert.doesNotMatch(html, /NaN|undefined/);
});

test('a target whose every ping was lost is down, with no RTT figures', () => {
  const { status } = board([{ name: 'dead', address: '127.0.0.1:3' }]);
  status.observer.roundFinished?.('dead', summarizeRound(5, []), []);
  const html = renderIndex('x', status.list());
  assert.match(html, /data-state="down"/);
  assert.match(html, /100% loss/);
  assert.match(html, /rtt min\/avg\/max<br>–/);
  assert.match(html, /no replies/);
});

test('no targets: a clear line instead of an empty table', () => {
  assert.match(renderIndex('x', []), /No targets configured\./);
});

test('the page refreshes as often as the fastest target has rounds, between 5 s and 60 s', () => {
  const at = (...intervals: number[]) =>
    refreshSeconds(board(intervals.map((intervalMs, i) => ({ name: `t${i}`, address: '127.0.0.1:1', intervalMs }))).status.list());
  assert.equal(at(30_000), 30);
  assert.equal(at(30_000, 10_500), 11);
  assert.equal(at(700), 5);
  assert.equal(at(300_000), 60);
  assert.equal(at(), 30);
  assert.match(
    renderIndex('x', board([{ name: 'a', address: '127.0.0.1:1', intervalMs: 15_000 }]).status.list()),
    /<meta http-equiv="refresh" content="15">/,
  );
});

test(`charts are drawn for the first ${MAX_CHARTS} targets only, and the page says so`, () => {
  const { status } = board(Array.from({ length: MAX_CHARTS + 10 }, (_, i) => ({ name: `t${i}`, address: `127.0.0.1:${1000 + i}` })));
  const html = renderIndex('1', status.list(), { nowSeconds: 1_700_000_000 });
  assert.equal(html.match(/<svg/g)?.length, MAX_CHARTS);
  assert.match(html, new RegExp(`Charts for the first ${MAX_CHARTS} of ${MAX_CHARTS + 10} targets`));
  assert.equal(html.match(/<tr data-target=/g)?.length, MAX_CHARTS + 10);
});

test("degraded between up and down, by each target's degradedLossRatio; counts of each state at the top", () => {
  const { status } = board([
    { name: 'clean', address: '127.0.0.1:1' },
    { name: 'lossy', address: '127.0.0.1:2' },
    { name: 'tolerant', address: '127.0.0.1:3', degradedLossRatio: 0.5 },
    { name: 'dead', address: '127.0.0.1:4' },
    { name: 'new', address: '127.0.0.1:5' },
  ]);
  const rtts = (n: number) => Array(n).fill(0.001);
  status.observer.roundFinished?.('clean', summarizeRound(20, rtts(19)), []);
  status.observer.roundFinished?.('lossy', summarizeRound(20, rtts(16)), []);
  status.observer.roundFinished?.('tolerant', summarizeRound(20, rtts(16)), []);
  status.observer.roundFinished?.('dead', summarizeRound(20, []), []);
  assert.deepEqual(
    status.list().map((t) => [t.name, t.state, t.up]),
    [
      ['clean', 'up', true],
      ['lossy', 'degraded', true],
      ['tolerant', 'up', true],
      ['dead', 'down', false],
      ['new', 'pending', null],
    ],
  );
  // Back to up only at half the ratio or less (as the TcppingHighLoss alert clears), so it does not flap.
  status.observer.roundFinished?.('lossy', summarizeRound(20, rtts(17)), []);
  assert.equal(status.list()[1]?.state, 'degraded', '15% after degraded');
  status.observer.roundFinished?.('lossy', summarizeRound(20, rtts(19)), []);
  assert.equal(status.list()[1]?.state, 'up', '5% after degraded');
  status.observer.roundFinished?.('lossy', summarizeRound(20, rtts(16)), []);
  const html = renderIndex('x', status.list(), { nowSeconds: 1_700_000_000 });
  const counts = [...html.matchAll(/data-count="(\w+)">(\d+) /g)].map(([, state, n]) => [state, Number(n)]);
  assert.deepEqual(counts, [
    ['up', 2],
    ['degraded', 1],
    ['down', 1],
    ['pending', 1],
  ]);
});

test('user labels are shown under the name; ICMP capture and the last config load above the table', () => {
  const { status } = board([{ name: 'web', address: '127.0.0.1:1', labels: { team: 'web', site: 'fra1' } }]);
  const lastLoad = { ok: true, atSeconds: 1_700_000_000, trigger: 'SIGHUP', problems: [] };
  const on = renderIndex('x', status.list(), { service: { icmpCapture: [4, 6], lastLoad, source: '/etc/tcpping/tcpping.yaml' } });
  assert.match(on, /<span class="label">team=web<\/span><span class="label">site=fra1<\/span>/);
  assert.match(
    on,
    /data-capture="on" data-reload="ok">ICMP capture on \(IPv4, IPv6\) · config \/etc\/tcpping\/tcpping\.yaml loaded 22:13:20 UTC \(SIGHUP\)/,
  );
  const failed = { ok: false, atSeconds: 1_700_000_060, trigger: 'file change', problems: ['x.yaml: targets[0].address: <bad>', 'second'] };
  const off = renderIndex('x', status.list(), { service: { icmpCapture: [], lastLoad: failed, source: 'x.yaml' } });
  assert.match(off, /data-capture="off" data-reload="failed"/);
  assert.match(off, /ICMP capture off<\/span>/);
  assert.match(
    off,
    /config reload failed<\/span> 22:14:20 UTC \(file change\), the previous config runs: x\.yaml: targets\[0\]\.address: &lt;bad&gt; \(and 1 more\)/,
  );
});
