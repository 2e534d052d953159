import { icmpInWords } from '../icmp/descriptions.js';
import type { LoadState } from '../runtime/reloader.js';
import type { TargetStatus } from '../status/status.js';
import { renderChart } from './chart.js';
import { escapeHtml } from './escape.js';
import { pathCell } from './path-cell.js';
import { ms, utc } from './units.js';

/** What the page says about the service itself, besides its targets. */
export interface ServiceState {
  /** The address families ICMP errors are captured for; empty when capture is off. */
  readonly icmpCapture: readonly number[];
  readonly lastLoad: LoadState;
  /** The config file, or "built-in defaults". */
  readonly source: string;
}

export interface PageOptions {
  /** Unix seconds the page is rendered at; shown as "updated". */
  readonly nowSeconds?: number;
  readonly service?: ServiceState;
}

/**
 * The page reloads itself with a meta refresh: the charts are rendered on the server, so a reload
 * is all it takes to show new rounds; it needs no script and works with scripts disabled.
 * Refreshing more often than the fastest target's rounds would show nothing new.
 */
export function refreshSeconds(targets: readonly TargetStatus[]): number {
  const fastestMs = Math.min(...targets.map((t) => t.settings.intervalMs));
  return Number.isFinite(fastestMs) ? Math.min(60, Math.max(5, Math.ceil(fastestMs / 1000))) : 30;
}

const states = ['up', 'degraded', 'down', 'pending'] as const;

/**
 * Charts are drawn for this many targets at most: at 1,000 targets the page would be 33 MB and take
 * a second of the event loop on every refresh, holding up pings in flight. The API and Grafana
 * have every target's history.
 */
export const MAX_CHARTS = 50;

function row(t: TargetStatus, index: number): string {
  const r = t.lastRound;
  const state = t.state;
  const labels = Object.entries(t.settings.labels)
    .map(([k, v]) => `<span class="label">${escapeHtml(k)}=${escapeHtml(v)}</span>`)
    .join('');
  const why = state === 'degraded' ? `<span class="sub">over ${formatPercent(t.settings.degradedLossRatio)} lost</span>` : '';
  const loss = r ? `${(r.lossRatio * 100).toFixed(r.lossRatio === 0 || r.lossRatio === 1 ? 0 : 1)}% loss` : '–';
  const lossOf = r ? `<span class="sub">${r.received} of ${r.sent} back</span>` : '';
  const rtt = r?.received ? `${ms(r.rtt.min)}/${ms(r.rtt.avg)}/${ms(r.rtt.max)} ms` : '–';
  const resolved =
    t.resolvedAddress && t.resolvedAddress !== t.host
      ? `<span class="sub">→ ${escapeHtml(t.resolvedAddress)}${t.addressChanges ? ` (changed ${t.addressChanges}×)` : ''}</span>`
      : '';
  const l = t.lastLoss;
  const lastLoss = l
    ? `<span class="reason">${escapeHtml(l.reason)}</span> ${escapeHtml(l.detail)}${l.icmp ? `<span class="icmp">${escapeHtml(icmpInWords(l.icmp))}</span>` : ''}<span class="sub when">ping ${l.seq}, ${utc(l.at)}</span>`
    : '<span class="sub">none</span>';
  const attrs = `data-target="${escapeHtml(t.name)}" data-state="${state}" data-rounds="${t.rounds}" data-loss-ratio="${r ? r.lossRatio : ''}"`;
  return `<tr ${attrs}>
<td>${escapeHtml(t.name)}${labels ? `<span class="labels">${labels}</span>` : ''}</td>
<td><span class="state ${state}">${state}</span>${why}<span class="sub">${escapeHtml(t.mode)} · ${t.rounds} round${t.rounds === 1 ? '' : 's'}</span></td>
<td class="addr">${escapeHtml(t.address)}${resolved}</td>
<td class="num">${loss}${lossOf}<span class="sub">rtt min/avg/max<br>${rtt}</span></td>
<td class="loss">${lastLoss}</td>
${pathCell(t.path, t.pathChanges)}
<td class="chart-cell">${index < MAX_CHARTS ? renderChart(t.history, { width: 280 }) : '<span class="sub">see /api/v1/targets?history=1</span>'}</td>
</tr>`;
}

const style = `
body{font:14px/1.4 system-ui,sans-serif;color:#1d1d1f;margin:0;padding:16px 20px;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}
nav,.meta{color:#555;font-size:13px;margin:0 0 4px}
a{color:#1f5fa8}
table{border-collapse:collapse;background:#fff;border:1px solid #ddd;margin-top:12px;width:100%}
th,td{padding:8px 10px;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
th{font-size:12px;font-weight:600;color:#555;background:#f3f3f3;white-space:nowrap}
.num{white-space:nowrap;font-variant-numeric:tabular-nums}
td:first-child{font-weight:600}
.sub{display:block;font-size:12px;font-weight:400;color:#666}
.addr{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:break-word}
.when{white-space:nowrap}
.loss{min-width:150px;font-size:13px;overflow-wrap:break-word}
.reason{font-weight:600}
.icmp{display:block;color:#8a3b00}
.state{display:inline-block;min-width:56px;text-align:center;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
.up{background:#dcf2e1;color:#176f2c}.degraded{background:#fdf0c8;color:#8a5300}.down{background:#fbe0de;color:#b3261e}.pending{background:#eee;color:#666}
.labels{display:block;margin-top:2px}.label{display:inline-block;font-size:11px;font-weight:400;color:#444;background:#eef2f7;border-radius:3px;padding:0 4px;margin:1px 3px 0 0;font-family:ui-monospace,monospace}
.counts{margin:8px 0 0;font-size:14px}.counts .state{min-width:0;margin-right:6px;font-size:13px}
.service{color:#555;font-size:13px;margin:6px 0 0}.bad{color:#b3261e;font-weight:600}
.chart-cell{padding:4px 8px;width:280px}
.path{min-width:140px;font-size:13px;overflow-wrap:break-word}.stop,.changed{font-weight:600;color:#b3261e}
.hops{margin:2px 0 0;padding-left:24px;font-family:ui-monospace,monospace;font-size:12px}.hops .silent{color:#888}
.legend i{display:inline-block;width:14px;height:8px;margin:0 4px 0 10px;vertical-align:middle}
`;

const formatPercent = (ratio: number) => `${Number((ratio * 100).toPrecision(3))}%`;

/** ICMP capture and the last config load, so a page reader knows what explains losses and what runs. */
function serviceLine({ icmpCapture, lastLoad, source }: ServiceState): string {
  const capture =
    icmpCapture.length > 0
      ? `ICMP capture on (${icmpCapture.map((f) => `IPv${f}`).join(', ')})`
      : '<span class="bad">ICMP capture off</span> (no CAP_NET_RAW or no addon: losses are not explained by ICMP)';
  const when = `${utc(lastLoad.atSeconds)} (${escapeHtml(lastLoad.trigger)})`;
  const load = lastLoad.ok
    ? `config ${escapeHtml(source)} loaded ${when}${lastLoad.problems.length > 0 ? `, <span class="bad">${lastLoad.problems.length} target file problem${lastLoad.problems.length === 1 ? '' : 's'}</span>` : ''}`
    : `<span class="bad">config reload failed</span> ${when}, the previous config runs: ${escapeHtml(lastLoad.problems[0] ?? '')}${lastLoad.problems.length > 1 ? ` (and ${lastLoad.problems.length - 1} more)` : ''}`;
  const title = lastLoad.problems.length > 0 ? ` title="${escapeHtml(lastLoad.problems.join('\n'))}"` : '';
  return `<p class="service" data-capture="${icmpCapture.length > 0 ? 'on' : 'off'}" data-reload="${lastLoad.ok ? 'ok' : 'failed'}"${title}>${capture} · ${load}</p>`;
}

/** The status page: each target's state, last round, last loss and recent rounds. No scripts, nothing fetched from outside. */
export function renderIndex(version: string, targets: readonly TargetStatus[], options: PageOptions = {}): string {
  const refresh = refreshSeconds(targets);
  const now = options.nowSeconds ?? Date.now() / 1000;
  const counts = states
    .map((state) => [state, targets.filter((t) => t.state === state).length] as const)
    .filter(([state, n]) => n > 0 || state !== 'pending')
    .map(([state, n]) => `<span class="state ${state}" data-count="${state}">${n} ${state}</span>`)
    .join('');
  const rows = targets.map(row).join('\n');
  const capped = targets.length > MAX_CHARTS ? ` Charts for the first ${MAX_CHARTS} of ${targets.length} targets.` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refresh}">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>tcpping status</title>
<style>${style}</style>
</head><body>
<h1>tcpping ${escapeHtml(version)}</h1>
<nav><a href="/metrics">Metrics</a> · <a href="/api/v1/targets">Targets (JSON)</a> · <a href="/-/healthy">Health</a> · <a href="/-/ready">Readiness</a></nav>
<p class="counts">${counts}<span class="sub" style="display:inline">of ${targets.length} target${targets.length === 1 ? '' : 's'}; degraded: a round lost more than its degradedLossRatio, down: no reply</span></p>
${options.service ? serviceLine(options.service) : ''}
<p class="meta">Updated ${utc(now)}, refreshes every ${refresh} s.${capped} Chart per target, newest round on the right:
<span class="legend"><i style="background:#b9d3ee"></i>RTT min–max<i style="background:#1f5fa8;height:2px"></i>average<i style="background:#d2352b"></i>loss (to the scale on its left)<i style="background:#8a3b00;width:8px"></i>above the RTT axis (95th percentile of the rounds' highest)</span></p>
<table><thead><tr><th>Target</th><th>State</th><th>Address</th><th>Last round</th><th>Last loss</th><th>Path</th><th>Recent rounds</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No targets configured.</td></tr>'}
</tbody></table>
</body></html>
`;
}
