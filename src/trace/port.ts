import type { Random } from '../util/clock.js';

/** The lowest port anyone may bind without privilege (net.ipv4.ip_unprivileged_port_start's default). */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/**
 * A source port for a trace's flow, outside the ports connect(2) hands out (`ephemeral`, the
 * pings' range): no ping of the service ever leaves from it, so the ICMP capture cannot take a
 * trace's time-exceeded errors for a ping's, and a trace never waits for a ping to free its port.
 * Uniform over 1024..65535 minus that range; from the whole of it when the range covers everything. Pure.
 */
export function chooseSourcePort(random: Random, ephemeral: readonly [number, number] | undefined): number {
  const [low, high] = ephemeral ?? [0, -1];
  const below = Math.max(0, Math.min(low, 65536) - FIRST_UNPRIVILEGED_PORT);
  const above = Math.max(0, 65535 - Math.max(high, FIRST_UNPRIVILEGED_PORT - 1));
  const room = below + above;
  if (room === 0) return FIRST_UNPRIVILEGED_PORT + Math.floor(random() * (65536 - FIRST_UNPRIVILEGED_PORT));
  const pick = Math.floor(random() * room);
  return pick < below ? FIRST_UNPRIVILEGED_PORT + pick : Math.max(high, FIRST_UNPRIVILEGED_PORT - 1) + 1 + (pick - below);
}
