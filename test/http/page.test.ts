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
  assert.match(far, /data-state="up"/);
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
