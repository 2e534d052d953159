import { readFileSync } from 'node:fs';
import { median } from './stats.js';

/** This process's minor page faults so far (Linux: /proc/self/stat, field 10); NaN where there is none. */
export function minorFaults(): number {
  try {
    const afterName = readFileSync('/proc/self/stat', 'latin1').split(') ')[1] ?? '';
    return Number(afterName.split(' ')[7]);
  } catch {
    return Number.NaN;
  }
}

const PROBE_BYTES = 32 << 20;
const PAGE = 4096;

/**
 * What memory fresh from the kernel costs here: µs per minor page fault, touching each page of a
 * new 32 MiB ArrayBuffer (mapped, not yet backed: every first touch is a fault), median of 5. On a
 * machine where this is high, whatever makes V8 take new pages (promoting a reload's new state, a
 * Map's table outgrowing 128 KiB) costs that much more, and the figures beside it read so.
 */
export function faultCostUs(): { usPerFault: number; faultsPerProbe: number } {
  const costs: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const bytes = new Uint8Array(new ArrayBuffer(PROBE_BYTES));
    const before = minorFaults();
    const t0 = performance.now();
    for (let at = 0; at < PROBE_BYTES; at += PAGE) bytes[at] = 1;
    const ms = performance.now() - t0;
    const faults = minorFaults() - before;
    counts.push(faults);
    costs.push((ms * 1000) / faults);
  }
  return { usPerFault: median(costs), faultsPerProbe: median(counts) };
}
