import type { RoundPoint } from '../status/history.js';
import { escapeHtml } from './escape.js';

export interface ChartOptions {
  readonly width?: number;
  readonly height?: number;
  /** The chart is at least this many rounds wide, so the first rounds do not fill it alone; newest on the right. */
  readonly minSlots?: number;
}

const colors = {
  band: '#b9d3ee',
  avg: '#1f5fa8',
  loss: '#d2352b',
  lostColumn: '#fbe4e2',
  grid: '#e4e4e4',
  axis: '#666',
  clipped: '#8a3b00',
};

/**
 * The RTT axis reaches the 95th percentile of the rounds' highest RTTs, not their maximum: one
 * outlier (a retransmitted SYN, a GC pause) must not flatten every other round into the floor.
 * Rounds above it are clipped and marked with a triangle; their tooltip has the real figures.
 */
export const RTT_AXIS_QUANTILE = 0.95;

/** The value below which `q` of the sorted values lie (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** The loss axis: the smallest of these that holds the worst visible round, so 20% is not a sliver. */
const lossScales = [0.05, 0.1, 0.25, 0.5, 1];

interface Plotted {
  readonly p: RoundPoint;
  readonly min: number | null;
  readonly avg: number | null;
  readonly max: number | null;
  readonly loss: number;
}
type Replied = { readonly i: number; readonly q: Plotted & { readonly avg: number } };

/** A finite, non-negative number, or null: the chart must never print NaN or Infinity into the SVG. */
function clean(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Coordinates with one decimal: enough on screen, and short. */
const n = (v: number) => String(Math.round(v * 10) / 10);
const clock = (at: number) => new Date(at * 1000).toISOString().slice(11, 19);

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ value; 1 for nothing to show. */
export function niceCeil(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const scale = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * scale >= value * (1 - 1e-9)) ?? 10;
  return Number((step * scale).toPrecision(3));
}

/** Three significant digits, without trailing zeros. */
export function formatMs(ms: number): string {
  return String(Number(ms.toPrecision(3)));
}

function roundTitle(p: RoundPoint): string {
  const rtt = [p.rtt.min, p.rtt.avg, p.rtt.max].map((s) => (clean(s) === null ? '–' : formatMs((s as number) * 1000)));
  const loss = `${formatMs((clean(p.lossRatio) ?? 0) * 100)}% loss (${p.received}/${p.sent})`;
  return `${clock(p.at)} UTC: ${loss}${p.received > 0 ? `, RTT min/avg/max ${rtt.join('/')} ms` : ''}`;
}

/** Consecutive rounds that got replies, with their positions. */
function runsWithReplies(points: readonly Plotted[]): Replied[][] {
  const runs: Replied[][] = [[]];
  points.forEach((q, i) => {
    if (q.avg === null) runs.push([]);
    else runs[runs.length - 1]?.push({ i, q: { ...q, avg: q.avg } });
  });
  return runs.filter((run) => run.length > 0);
}

/**
 * Latency and loss of recent rounds as inline SVG (no script, nothing fetched): the min–max RTT
 * band with the average as a line in the upper panel, each round's loss as a bar in the lower one.
 * Pure; a round's figures are in its tooltip.
 */
export function renderChart(history: readonly RoundPoint[], options: ChartOptions = {}): string {
  const width = options.width ?? 300;
  const height = options.height ?? 120;
  const [left, right, latTop, latBottom] = [46, width - 8, 8, height - 56];
  const [lossTop, lossBottom] = [latBottom + 8, height - 18];
  const slots = Math.max(history.length, options.minSlots ?? 30);
  const slotW = (right - left) / slots;
  const x0 = (i: number) => left + (slots - history.length + i) * slotW;
  const text = (x: number | string, y: number | string, content: string, anchor = 'end', dy = 3) =>
    `<text x="${x}" y="${y}" dy="${dy}" text-anchor="${anchor}" fill="${colors.axis}" font-family="system-ui,sans-serif" font-size="10">${escapeHtml(content)}</text>`;

  const points: Plotted[] = history.map((p) => {
    const [min, avg, max] = [clean(p.rtt.min), clean(p.rtt.avg), clean(p.rtt.max)];
    return { p, min, avg, max, loss: Math.min(1, clean(p.lossRatio) ?? 0) };
  });
  const runs = runsWithReplies(points);
  const highs = points.flatMap((q) => (q.avg === null ? [] : [(q.max ?? q.avg) * 1000]));
  const topMs = niceCeil(quantile(highs, RTT_AXIS_QUANTILE));
  const y = (seconds: number) => latBottom - Math.min(1, (seconds * 1000) / topMs) * (latBottom - latTop);
  const lossScale = lossScales.find((s) => s >= Math.max(...points.map((q) => q.loss), 0) - 1e-9) ?? 1;

  const label = `Latency and loss of the last ${history.length} round${history.length === 1 ? '' : 's'}`;
  const out = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">`,
    `<title>${escapeHtml(label)}</title>`,
  ];
  const ticks: [number, string][] = [
    [0, '0'],
    [topMs / 2, formatMs(topMs / 2)],
    [topMs, `${formatMs(topMs)} ms`],
  ];
  for (const [ms, tick] of ticks) {
    const gy = n(y(ms / 1000));
    out.push(`<line x1="${left}" x2="${right}" y1="${gy}" y2="${gy}" stroke="${colors.grid}"/>`);
    // Without a single reply there is no latency scale to label.
    if (runs.length > 0) out.push(text(left - 4, gy, tick));
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${lossTop}" y2="${lossTop}" stroke="${colors.grid}" stroke-dasharray="2 2"/>`);
  out.push(`<line x1="${left}" x2="${right}" y1="${lossBottom}" y2="${lossBottom}" stroke="${colors.grid}"/>`);
  out.push(text(left - 4, lossTop + 2, `${formatMs(lossScale * 100)}%`));
  out.push(text(left - 4, lossBottom - 2, 'loss'));

  // Rounds without any reply: a pale column, so a gap in the band reads as "all lost", not "no data".
  points.forEach((q, i) => {
    if (q.p.sent > 0 && q.avg === null) {
      out.push(`<rect x="${n(x0(i))}" y="${latTop}" width="${n(slotW)}" height="${latBottom - latTop}" fill="${colors.lostColumn}"/>`);
    }
  });
  for (const run of runs) {
    const top = run.map(({ i, q }) => `${n(x0(i))},${n(y(q.max ?? q.avg))} ${n(x0(i) + slotW)},${n(y(q.max ?? q.avg))}`);
    const bottom = run.map(({ i, q }) => `${n(x0(i) + slotW)},${n(y(q.min ?? q.avg))} ${n(x0(i))},${n(y(q.min ?? q.avg))}`);
    out.push(`<polygon points="${[...top, ...bottom.reverse()].join(' ')}" fill="${colors.band}"/>`);
    // A round alone has no neighbour to draw a line to: its average spans its slot.
    const line =
      run.length === 1
        ? run.map(({ i, q }) => `${n(x0(i))},${n(y(q.avg))} ${n(x0(i) + slotW)},${n(y(q.avg))}`)
        : run.map(({ i, q }) => `${n(x0(i) + slotW / 2)},${n(y(q.avg))}`);
    out.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${colors.avg}" stroke-width="1.5" stroke-linejoin="round"/>`);
  }
  // A round above the axis: a triangle at the top of its slot.
  points.forEach((q, i) => {
    if (q.avg === null || (q.max ?? q.avg) * 1000 <= topMs * (1 + 1e-9)) return;
    const mid = x0(i) + slotW / 2;
    const half = Math.min(4, Math.max(2, slotW / 2));
    out.push(`<path class="clipped" d="M${n(mid - half)} ${latTop + 5}H${n(mid + half)}L${n(mid)} ${latTop}Z" fill="${colors.clipped}"/>`);
  });
  points.forEach((q, i) => {
    if (q.loss === 0) return;
    const h = Math.max(2, Math.min(1, q.loss / lossScale) * (lossBottom - lossTop));
    out.push(
      `<rect x="${n(x0(i) + slotW * 0.1)}" y="${n(lossBottom - h)}" width="${n(slotW * 0.8)}" height="${n(h)}" fill="${colors.loss}"/>`,
    );
  });
  points.forEach((q, i) => {
    const slot = `x="${n(x0(i))}" y="${latTop}" width="${n(slotW)}" height="${lossBottom - latTop}"`;
    out.push(`<rect ${slot} fill="transparent"><title>${escapeHtml(roundTitle(q.p))}</title></rect>`);
  });

  const middle = n((left + right) / 2);
  if (points.length === 0) out.push(text(middle, n((latTop + latBottom) / 2), 'no rounds yet', 'middle'));
  else if (runs.length === 0) out.push(text(middle, n((latTop + latBottom) / 2), 'no replies', 'middle'));
  const first = points[0]?.p.at;
  const last = points[points.length - 1]?.p.at;
  if (first !== undefined && right - x0(0) > 120) out.push(text(n(x0(0)), height - 4, clock(first), 'start', 0));
  if (last !== undefined) out.push(text(right, height - 4, `${clock(last)} UTC`, 'end', 0));
  out.push('</svg>');
  return out.join('');
}
