import type { PathHop } from '../domain/path.js';
import { describeIcmp } from '../icmp/descriptions.js';
import type { PathStatus } from '../status/status.js';
import { escapeHtml } from './escape.js';
import { ms, utc } from './units.js';

const destinationWords = { 'syn-ack': 'SYN-ACK (port open)', reset: 'RST (port closed)' } as const;

/** One hop in the list under the cell: a silent one is `*` and says why that is not loss. */
function hopItem(hop: PathHop): string {
  if (hop.received === 0)
    return `<li value="${hop.hop}" class="silent" title="no answer: many routers send no time exceeded; not loss">*</li>`;
  const loss = hop.received < hop.sent ? `, ${Math.round((1 - hop.received / hop.sent) * 100)}% lost` : '';
  const more = hop.addresses.length > 1 ? ` (+${hop.addresses.length - 1} more)` : '';
  return `<li value="${hop.hop}">${escapeHtml(hop.address ?? '*')}${more} <span class="sub" style="display:inline">${ms(hop.rtt?.avg)} ms${loss}</span></li>`;
}

/** What the trace found, in a line: where answers stop, who refused, or the destination's answer. */
function headline(path: PathStatus): string {
  const last = path.hops.at(-1);
  switch (path.end) {
    case 'syn-ack':
    case 'reset':
      return `${destinationWords[path.end]} at hop ${last?.hop}`;
    case 'unreachable':
      return `<span class="stop">hop ${last?.hop} refused</span> ${escapeHtml(last?.address ?? '')}<span class="icmp">${last?.icmp ? escapeHtml(describeIcmp(last.icmp)) : ''}</span>`;
    case 'error':
      return `<span class="stop">trace failed</span> ${escapeHtml(path.error ?? '')}`;
    default: {
      const stop = path.answersStopAt;
      const silent = stop && last && last.hop > stop.hop ? `<span class="sub">nothing from hop ${stop.hop + 1} on</span>` : '';
      return stop
        ? `<span class="stop">answers stop at hop ${stop.hop}</span> ${escapeHtml(stop.address ?? '')}${silent}`
        : '<span class="stop">no hop answered</span>';
    }
  }
}

/**
 * The status page's path cell: the target's last trace (when, why, what it found), whether it
 * changed, and its hops under a <details> (no script needed). Pure.
 */
export function pathCell(path: PathStatus | null, changes: number): string {
  if (!path)
    return '<td class="path" data-path="none"><span class="sub">not traced yet: traced when its pings begin to be lost</span></td>';
  const changed =
    path.changedHops && path.changedHops.length > 0
      ? `<span class="changed">path changed at hop ${path.changedHops.join(', ')}</span>`
      : '';
  const count = changes > 0 ? `<span class="sub">changed ${changes}× since start</span>` : '';
  const stop = path.answersStopAt;
  const attrs = `data-path="${path.end}" data-path-stop="${stop?.hop ?? ''}" data-path-stop-address="${escapeHtml(stop?.address ?? '')}" data-path-changes="${changes}"`;
  return `<td class="path" ${attrs}>${headline(path)}${changed}${count}<span class="sub when">traced ${utc(path.startedAt)} (${path.trigger}), port ${path.sourcePort}</span>
<details><summary>${path.hops.length} hop${path.hops.length === 1 ? '' : 's'}</summary><ol class="hops">${path.hops.map(hopItem).join('')}</ol></details></td>`;
}
