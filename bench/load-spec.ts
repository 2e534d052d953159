import type { ProbeMode } from '../src/domain/target.js';

/** What a load child runs: which prober, how many targets, where, and with what turned on. */
export interface LoadSpec {
  readonly kind: 'service' | 'scheduler' | 'bare';
  /** The target server's port. */
  readonly port: number;
  readonly targets: number;
  readonly mode: ProbeMode;
  readonly capture: 'on' | 'off' | 'auto';
  readonly intervalMs?: number;
  /** metrics.drop of the service kind: per-target series not served. */
  readonly drop?: readonly string[];
  /** scheduler.workers of the service kind: worker threads that send the pings (0: the main thread). */
  readonly workers?: number;
  /** False: userland timing (no TCP_INFO through koffi), the scheduler kind only. */
  readonly kernel?: boolean;
  /**
   * `one`: every target is 127.0.0.1:port. `many`: target i has an address of its own in
   * 127.1.0.0/16 (inside a network namespace whose target server listens on every address).
   */
  readonly addresses?: 'one' | 'many';
  /** Another revision's compiled tree to run (bench/reference.ts); this tree when absent. */
  readonly tree?: string;
}

/** The address of target `i` (0-based): 127.1.1.1, 127.1.1.2, ... 127.1.1.254, 127.1.2.1, ... (up to 64,516 targets). */
export function targetHost(i: number, addresses: LoadSpec['addresses'] = 'one'): string {
  if (addresses === 'one') return '127.0.0.1';
  return `127.1.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`;
}

export function loadTargets(spec: LoadSpec): { name: string; address: string }[] {
  return Array.from({ length: spec.targets }, (_, i) => ({
    name: `target-${i}`,
    address: `${targetHost(i, spec.addresses)}:${spec.port}`,
  }));
}
