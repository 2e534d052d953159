import { boolean, type Check, integer, number, oneOf } from '../util/checks.js';
import { err, ok } from '../util/result.js';
import { type SettingValues, setting } from '../util/setting.js';

export const probeModes = ['echo', 'connect'] as const;
export type ProbeMode = (typeof probeModes)[number];

export const addressFamilies = ['auto', 'ipv4', 'ipv6'] as const;
export type AddressFamily = (typeof addressFamilies)[number];

/**
 * What each target may set for itself; the config's `defaults` section holds the same keys. A
 * change applies as part of the target diff: the targets concerned restart with it.
 */
export const targetSettings = {
  mode: setting(
    'Probe mode: echo (send a line, wait for it upper-cased) or connect (TCP handshake only).',
    'echo',
    oneOf(probeModes),
    'diff',
  ),
  count: setting('Pings per round.', 20, integer(1, 100_000), 'diff'),
  intervalMs: setting('Milliseconds between round starts.', 30_000, integer(100, 86_400_000), 'diff'),
  pingIntervalMs: setting(
    'Milliseconds between ping starts inside a round (0: as soon as the last one ended).',
    0,
    integer(0, 3_600_000),
    'diff',
  ),
  timeoutMs: setting('Milliseconds a ping waits for its reply before it counts as lost.', 1000, integer(1, 600_000), 'diff'),
  reuseConnection: setting('Echo mode: one connection per round instead of one per ping.', false, boolean, 'diff'),
  degradedLossRatio: setting(
    'A round that loses more than this share of its pings (0..1) makes the target "degraded" (status page, API, log), up again at half of it or less; one that loses every ping makes it "down".',
    0.1,
    number(0, 1),
    'diff',
  ),
  family: setting(
    'Which address of a host name to ping: auto (the resolver order), ipv4 or ipv6. Names are resolved every round.',
    'auto',
    oneOf(addressFamilies),
    'diff',
  ),
};

export type TargetSettings = SettingValues<typeof targetSettings>;

/** A target to ping, wherever it came from (the config file, a target file, the mesh). */
export interface Target extends TargetSettings {
  readonly name: string;
  /** As written where the target was defined. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** User labels, exported on tcpping_target_info. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Prometheus label names; the ones tcpping sets itself are reserved. */
export const reservedLabels = ['target', 'address', 'mode', 'instance', 'job'];

export const labels: Check<Record<string, string>> = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('must be a mapping of label names to strings');
  for (const [name, v] of Object.entries(value)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__')) return err(`"${name}" is not a valid label name`);
    if (reservedLabels.includes(name)) return err(`"${name}" is a label tcpping sets itself`);
    if (typeof v !== 'string') return err(`label "${name}" must be a string`);
  }
  return ok(value as Record<string, string>);
};
