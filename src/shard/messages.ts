import type { Target } from '../domain/target.js';
import type { TargetDiff } from '../scheduler/scheduler.js';

/**
 * A worker's part of the targets, sent as a diff against what it runs: every name in order, and
 * the specs of those new or changed only. A reload of 10,000 targets that changes one sends one
 * spec: copying them all into the worker would hold its pings for the time of the copy.
 */
export interface Assignment {
  readonly id: number;
  readonly names: readonly string[];
  readonly specs: readonly Target[];
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
  /** Every name the worker is to run, in order; the specs it does not hold came in `specs` chunks just before. */
  | { readonly kind: 'apply'; readonly id: number; readonly names: readonly string[] }
  /** Packets off the service's ICMP raw sockets, those of one turn of its loop: every worker matches them against its own pings. */
  | { readonly kind: 'icmp'; readonly packets: readonly IcmpPacket[] }
  | { readonly kind: 'stop'; readonly abortAfterMs: number };

/** What a probing worker tells the service. */
export type FromWorker =
  /** Observer events, five slots each: the event's index in `observerEvents`, then its arguments (a target by name). */
  | { readonly kind: 'events'; readonly events: unknown[] }
  | { readonly kind: 'took' }
  | { readonly kind: 'applied'; readonly id: number; readonly diff: TargetDiff }
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
