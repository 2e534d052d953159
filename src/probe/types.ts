import type { NetConnectOpts, Socket } from 'node:net';
import type { Clock } from '../util/clock.js';

export const probeModes = ['echo', 'connect'] as const;
export type ProbeMode = (typeof probeModes)[number];

/** Why a ping got no valid reply. A closed set: it is the `reason` label of the loss counter. */
export const lossReasons = ['timeout', 'refused', 'reset', 'closed', 'unreachable', 'mismatch', 'dns', 'error'] as const;
export type LossReason = (typeof lossReasons)[number];

/** An ICMP error matched to a ping (filled in by the ICMP capture). */
export interface IcmpReport {
  readonly family: 4 | 6;
  readonly type: number;
  readonly code: number;
  /** The router or host that sent the error. */
  readonly reporter: string;
}

export type PingResult =
  | {
      readonly ok: true;
      readonly seq: number;
      readonly rttSeconds: number;
      /** Handshake time; absent when a kept connection was reused. */
      readonly connectSeconds?: number;
      /** The reply line as received (echo mode), without its newline. */
      readonly reply?: string;
    }
  | {
      readonly ok: false;
      readonly seq: number;
      readonly reason: LossReason;
      /** Human-readable detail: errno and text, or what was wrong with the reply. */
      readonly detail: string;
      readonly errno?: string;
      readonly connectSeconds?: number;
      readonly icmp?: IcmpReport;
    };

/** Holds one connection across pings when a target reuses its connection (persistent mode). */
export interface KeptConnection {
  socket?: Socket;
}

export interface ProbeRequest {
  /** The target this ping is for, when a scheduler sends it: ICMP errors are counted for it. */
  readonly target?: string;
  readonly host: string;
  readonly port: number;
  readonly seq: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly kept?: KeptConnection;
}

export type ConnectFn = (options: NetConnectOpts) => Socket;

/** ICMP errors about one ping, from the ICMP capture (src/icmp/) when it runs. */
export interface IcmpWatch {
  /** The connect was issued from `localPort` to `address:port`: errors quoting that are this ping's. */
  bound(address: string, port: number, localPort: number): void;
  /**
   * The ping is over: its ICMP error, waiting up to `graceMs` for one still on its way. A ping
   * that `succeeded` after an error (a retransmitted SYN got through) hands it on as a late one.
   */
  end(graceMs: number, succeeded?: boolean): Promise<IcmpReport | undefined>;
}

export interface IcmpWatcher {
  watch(owner: { target?: string; host: string; port: number }): IcmpWatch;
}

export interface ProbeContext {
  readonly clock: Clock;
  /** Socket factory (node:net's `connect` unless a test swaps it). */
  readonly connect: ConnectFn;
  /** Present when ICMP capture runs; lost pings then carry the ICMP error that explains them. */
  readonly icmp?: IcmpWatcher;
}

/** Every probe mode has this signature; the probers table dispatches on the mode. */
export type Prober = (request: ProbeRequest, context: ProbeContext) => Promise<PingResult>;
