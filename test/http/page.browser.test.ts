import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { closedPort, waitFor } from '../helpers/servers.js';

/** Debian's chromium; playwright-core never downloads a browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
// The README's picture is refreshed on purpose (TCPPING_UPDATE_SCREENSHOT=1), not by every run.
const SCREENSHOT = join(
  import.meta.dirname,
  process.env.TCPPING_UPDATE_SCREENSHOT === '1' ? '../../docs/status-page.png' : '../artifacts/status-page.png',
);
const inCi = process.env.CI === 'true';
const missing = !existsSync(CHROMIUM);
const skip =
  missing && !inCi ? `SKIPPED: no browser at ${CHROMIUM}; install it with \`apt-get install -y chromium\` (CI fails here instead)` : false;
if (skip) console.warn(`\n*** status page browser test ${skip} ***\n`);

interface PageRow {
  name: string;
  state: string;
  rounds: number;
  lossRatio: string;
  text: string;
  charts: number;
  chartWidth: number;
  lines: number;
  lossBars: number;
}
interface ApiTarget {
  name: string;
  up: boolean | null;
  state: string;
  rounds: number;
  lastRound: { lossRatio: number; sent: number; received: number } | null;
  lastLoss: { reason: string } | null;
  history: unknown[];
}

/** The table as the browser laid it out, then the API as it stands right after. */
async function readPage(page: Page, base: string): Promise<{ rows: PageRow[]; api: ApiTarget[]; html: string }> {
  const rows: PageRow[] = [];
  for (const tr of await page.locator('tbody tr[data-target]').all()) {
    const svg = tr.locator('svg.chart');
    rows.push({
      name: (await tr.getAttribute('data-target')) ?? '',
      state: (await tr.getAttribute('data-state')) ?? '',
      rounds: Number(await tr.getAttribute('data-rounds')),
      lossRatio: (await tr.getAttribute('data-loss-ratio')) ?? '',
      text: (await tr.textContent()) ?? '',
      charts: await svg.count(),
      chartWidth: (await svg.first().boundingBox())?.width ?? 0,
      lines: await svg.locator('polyline').count(),
      lossBars: await svg.locator('rect[fill="#d2352b"]').count(),
    });
  }
  const html = await page.content();
  const response = await page.request.get(`${base}/api/v1/targets?history=1`);
  assert.equal(response.status(), 200);
  return { rows, api: ((await response.json()) as { data: ApiTarget[] }).data, html };
}

describe('the status page in a real browser (Debian chromium via playwright-core)', { skip }, () => {
  let service: Service;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let page: Page;
  let base: string;
  const requested: string[] = [];

  before(async () => {
    if (missing) throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run must apt-get install chromium`);
    // The browser starts first: its start-up load would otherwise show in the rounds' RTTs.
    profile = await mkdtemp(join(tmpdir(), 'tcpping-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1000, height: 400 },
      deviceScaleFactor: 1,
    });
    const port = await closedPort();
    const dead = await closedPort();
    const config = loadConfig(
      {
        responder: { listen: `127.0.0.1:${port}`, dropRate: 0.2, delayMs: 1, jitterMs: 4 },
        web: { listenAddress: '127.0.0.1:0' },
        icmp: { capture: 'off' },
        // Rounds 2.5 s apart: the page and the API are snapshots rebuilt at most once a second, and
        // the first test needs a second with no round finishing (at 700 ms two targets' rounds left
        // none often enough that 30 tries found no stable reading in 2 of 3 runs).
        defaults: { count: 20, intervalMs: 2500, timeoutMs: 100 },
        targets: [
          { name: 'self', address: `127.0.0.1:${port}`, labels: { team: 'net', site: 'lab' } },
          { name: 'dead', address: `127.0.0.1:${dead}`, mode: 'connect', labels: { team: 'db' } },
        ],
      },
      'test',
      {},
    );
    service = await Service.start(config);
    base = `http://127.0.0.1:${service.httpAddress?.port}`;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requested.push(r.url()));
    await waitFor(() => service.status.list().every((t) => t.rounds >= 8), 45_000, 'eight rounds per target');
  });

  after(async () => {
    await context?.close();
    await service?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  test('the table matches /api/v1/targets: names, up/down, loss; each target has its chart', async () => {
    // A round may finish while the page loads. The API is read before and after the page: when
    // both readings agree, no round finished in between and the page saw exactly that state. The
    // page and the API are snapshots rebuilt at most once a second each, so the page may also
    // still show the state of a moment ago: then it is read again.
    const rounds = (api: ApiTarget[]) => api.map((t) => t.rounds).join(',');
    const seen = await (async () => {
      for (let attempt = 1; ; attempt++) {
        const before = (await (await page.request.get(`${base}/api/v1/targets`)).json()) as { data: ApiTarget[] };
        await page.goto(`${base}/`);
        const read = await readPage(page, base);
        const stable = rounds(before.data) === rounds(read.api) && read.rows.map((r) => r.rounds).join(',') === rounds(read.api);
        if (stable || attempt === 30) return read;
      }
    })();
    const { rows, api, html } = seen;
    assert.deepEqual(
      rows.map((r) => r.name),
      api.map((t) => t.name),
    );
    assert.deepEqual(
      rows.map((r) => r.name),
      ['self', 'dead'],
    );
    for (const [i, row] of rows.entries()) {
      const target = api[i] as ApiTarget;
      assert.equal(row.rounds, target.rounds, `${row.name}: page and API saw different rounds`);
      assert.equal(row.state, target.state, row.name);
      assert.equal(target.up, target.state === 'pending' ? null : target.state !== 'down', row.name);
      assert.equal(row.lossRatio, String(target.lastRound?.lossRatio), row.name);
      assert.match(row.text, new RegExp(`${target.lastRound?.received} of ${target.lastRound?.sent} back`), row.name);
      assert.equal(row.charts, 1, `${row.name}: one chart`);
      assert.ok(row.chartWidth >= 200, `${row.name}: chart laid out ${row.chartWidth}px wide`);
      assert.equal(target.history.length, target.rounds, `${row.name}: history holds every round so far`);
    }
    const [self, dead] = rows as [PageRow, PageRow];
    // The responder drops 20%: a round is degraded when it lost more than 10%, up otherwise.
    assert.ok(['up', 'degraded'].includes(self.state), self.state);
    assert.match(self.text, /team=net/);
    const counts = await page.locator('[data-count]').allTextContents();
    assert.deepEqual(counts.filter((c) => !c.startsWith('0 ')).sort(), [`1 ${self.state}`, '1 down'].sort());
    assert.match((await page.locator('p.service').textContent()) ?? '', /ICMP capture off .* config test loaded/);
    assert.ok(self.lines >= 1, 'self: an average line');
    assert.equal(dead.state, 'down');
    assert.match(dead.text, /refused/);
    assert.equal(dead.lines, 0, 'dead: no RTT, no line');
    assert.equal(dead.lossBars, dead.rounds, 'dead: a full loss bar per round');
    assert.doesNotMatch(html, /NaN|Infinity|undefined/);
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok((await stat(SCREENSHOT)).size < 300_000, 'screenshot small enough for the README');
  });

  test('the page refreshes itself with new rounds, and fetches nothing but its own origin', async () => {
    const before = (await readPage(page, base)).rows.map((r) => r.rounds);
    const refresh = Number(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'));
    assert.ok(refresh >= 5 && refresh <= 60, `refresh every ${refresh} s`);
    await page.waitForEvent('framenavigated', { timeout: (refresh + 5) * 1000 });
    await page.waitForLoadState('load');
    const afterRefresh = (await readPage(page, base)).rows.map((r) => r.rounds);
    assert.ok(
      afterRefresh.every((n, i) => n > (before[i] ?? 0)),
      `rounds went from ${before} to ${afterRefresh}`,
    );
    const foreign = requested.filter((url) => !url.startsWith(`${base}/`));
    assert.deepEqual(foreign, [], 'requests outside the service');
  });
});
