import type { NetConnectOpts, Socket } from 'node:net';
import type { IcmpReport, PingResult, UnverifiedIcmpReason } from '../domain/ping.js';
import type { SocketKernel } from '../kernel/sockets.js';
import type { AbortWatch } from '../util/abort-relay.js';
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
  /** Ends the ping early (an AbortSignal, or the scheduler's cheaper relay of one). */
  readonly signal?: AbortWatch;
  readonly kept?: KeptConnection;
  /**
   * An ICMP error about this ping that changed no verdict: it came after the ping ended, or the
   * kernel did not confirm it for the ping's socket. Counted apart, so nothing the network said is lost.
   */
  readonly onUnverifiedIcmp?: (report: IcmpReport, reason: UnverifiedIcmpReason) => void;
}

export type ConnectFn = (options: NetConnectOpts) => Socket;

/** ICMP errors about one ping, from the ICMP capture (src/icmp/) when it runs. */
export interface IcmpWatch {
  /**
   * The connect was issued from `localPort` to `address:port`: errors quoting that are this ping's.
   * The port may be a function that asks the socket (getsockname), called only when needed.
   */
  bound(address: string, port: number, localPort: number | (() => number | undefined)): void;
  /** The ping's socket is about to close: ask it for its source port now, so late errors still find the ping. */
  pin(): void;
  /**
   * The ping is over: the copy of an error matched to it while it was in flight, if any. `known`
   * is the error its verdict carries (from the socket's error queue): copies of it coming later
   * are duplicates, not late errors.
   */
  end(known?: IcmpReport): IcmpReport | undefined;
}

/** Where a ping goes; its `onLate` hears of errors that come after the ping ended. */
export interface IcmpDestination {
  readonly host: string;
  readonly port: number;
  readonly onLate?: ((report: IcmpReport) => void) | undefined;
}

/**
 * The port the ICMP capture offers to probes; `onLate` hears of errors that come after the ping
 * ended. Probes pass it inside the destination, which the capture then keeps as it is (no copy per ping).
 */
export interface IcmpWatcher {
  watch(destination: IcmpDestination, onLate?: (report: IcmpReport) => void): IcmpWatch;
}

export interface ProbeContext {
  readonly clock: Clock;
  /** Socket factory (node:net's `connect`, or one whose sockets report ICMP errors at once). */
  readonly connect: ConnectFn;
  /** Present when ICMP capture runs: type and code for errors the socket only has an errno for, and errors counted apart. */
  readonly icmp?: IcmpWatcher;
  /** The kernel's record of each socket (Linux): kernel-timed figures and stall-proof verdicts. Absent: userland timing. */
  readonly kernel?: SocketKernel;
}

/** Every probe mode has this signature; the probers table dispatches on the mode. */
export type Prober = (request: ProbeRequest, context: ProbeContext) => Promise<PingResult>;
