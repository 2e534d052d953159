import type { TargetStatus } from '../status/status.js';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] as string);
}

function ms(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '–' : `${(seconds * 1000).toFixed(3)} ms`;
}

/** The plain status page: what runs, what it sees, where the metrics are. No scripts, no CDN. */
export function renderIndex(version: string, targets: readonly TargetStatus[]): string {
  const rows = targets
    .map((t) => {
      const r = t.lastRound;
      const state = t.up === null ? 'pending' : t.up ? 'up' : 'down';
      const loss = t.lastLoss ? `${t.lastLoss.reason}: ${t.lastLoss.detail}` : '–';
      return `<tr><td>${escapeHtml(t.name)}</td><td>${escapeHtml(t.address)}</td><td>${t.mode}</td><td class="${state}">${state}</td>
<td>${r ? `${(r.lossRatio * 100).toFixed(1)}%` : '–'}</td><td>${ms(r?.rtt.min)}</td><td>${ms(r?.rtt.avg)}</td><td>${ms(r?.rtt.max)}</td><td>${escapeHtml(loss)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tcpping</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.up{color:#176f2c}.down{color:#b3261e}.pending{color:#777}</style>
</head><body>
<h1>tcpping ${escapeHtml(version)}</h1>
<p>TCP ping monitoring. <a href="/metrics">Metrics</a> · <a href="/api/v1/targets">Targets (JSON)</a> · <a href="/-/healthy">Health</a> · <a href="/-/ready">Readiness</a></p>
<table><thead><tr><th>Target</th><th>Address</th><th>Mode</th><th>State</th><th>Loss (last round)</th><th>RTT min</th><th>avg</th><th>max</th><th>Last loss</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="9">No targets configured.</td></tr>'}
</tbody></table>
</body></html>
`;
}
