import type { NetConnectOpts, Socket } from 'node:net';
import type { IcmpReport, PingResult } from '../domain/ping.js';

import type { Clock } from '../util/clock.js';

/** Holds one connection across pings when a target reuses its connection (persistent mode). */
export interface KeptConnection {
  socket?: Socket;
}

export interface ProbeRequest {
  readonly host: string;
  readonly port: number;
  readonly seq: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly kept?: KeptConnection;
  /** An ICMP error about this ping that came after it ended (a retransmitted SYN's, a slow router's). */
  readonly onLateIcmp?: (report: IcmpReport) => void;
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

/** The port the ICMP capture offers to probes; `onLate` hears of errors that come after the ping ended. */
export interface IcmpWatcher {
  watch(destination: { host: string; port: number }, onLate?: (report: IcmpReport) => void): IcmpWatch;
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
