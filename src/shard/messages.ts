import type { Target } from '../domain/target.js';

/**
 * A change to a worker's part of the targets, against what it runs: the specs of the targets new
 * or changed, and the names of those it stops. A reload of 10,000 targets that adds one sends one
 * spec and no name: copying them all into the worker would hold its pings for the time of the
 * copy, and its scheduler would compare all it runs again.
 */
export interface Assignment {
  readonly id: number;
  readonly specs: readonly Target[];
  readonly removed: readonly string[];
}

export interface IcmpPacket {
  readonly family: 4 | 6;
  readonly packet: Uint8Array;
  /** The address the packet came from (the raw socket's, which ICMPv6 parsing needs). */
  readonly source: string;
}

/** What the service tells a probing worker. */
export type ToWorker =
  /** Specs of an assignment to come, a chunk at a time (each one answered `took`): the worker's pings run between chunks. */
  | { readonly kind: 'specs'; readonly specs: readonly Target[] }
  /** The change: the specs that came in `specs` chunks just before start or replace theirs, `removed` stop. */
  | { readonly kind: 'apply'; readonly id: number; readonly removed: readonly string[] }
  /** Packets off the service's ICMP raw sockets, those of one turn of its loop: every worker matches them against its own pings. */
  | { readonly kind: 'icmp'; readonly packets: readonly IcmpPacket[] }
  | { readonly kind: 'stop'; readonly abortAfterMs: number };

/** What a probing worker tells the service. */
export type FromWorker =
  /** Observer events, five slots each: the event's index in `observerEvents`, then its arguments (a target by name). */
  | { readonly kind: 'events'; readonly events: unknown[] }
  | { readonly kind: 'took' }
  /** The change `id` is applied: the targets it stopped have ended, those it started are announced. */
  | { readonly kind: 'applied'; readonly id: number }
  | { readonly kind: 'stopped' };

/** What a worker is started with. */
export interface WorkerSetup {
  /** The service captures ICMP errors: the worker's pings watch for the copies it relays. */
  readonly icmp: boolean;
}

/** Specs per `specs` message: reading one message holds the worker's loop, so a big reload is sent in pieces. */
export const SPECS_PER_MESSAGE = 250;

/** Slots per event in an `events` batch: the event, then up to four arguments. */
export const EVENT_SLOTS = 5;
