import type { NetConnectOpts, Socket } from 'node:net';
import type { IcmpReport, PingResult, UnverifiedIcmpReason } from '../domain/ping.js';
import type { BareHandshake, BareRead, HandshakeEnd } from '../kernel/bare-tcp.js';
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
   * An ICMP error about ping `seq` that changed no verdict: it came after the ping ended, or the
   * kernel did not confirm it for the ping's socket. Counted apart, so nothing the network said is
   * lost. Made once per target, not per ping: the capture keeps it while an ended ping lingers.
   */
  readonly onUnverifiedIcmp?: UnverifiedIcmpListener | undefined;
}

export type UnverifiedIcmpListener = (seq: number, report: IcmpReport, reason: UnverifiedIcmpReason) => void;

/**
 * A socket factory like node:net's `connect`. Its options must reach the socket whole: echo mode
 * gives `onread` (its bytes go there, and no 'data' event is listened to).
 */
export type ConnectFn = (options: NetConnectOpts) => Socket;

/**
 * Opens a connection to an IP address on a bare handle and issues its connect(2)
 * (src/kernel/bare-tcp.ts): handshake-only, or with `onRead` one that also writes and reads (echo
 * mode); undefined when it cannot, and `connect` is used instead.
 */
export type HandshakeOpener = <Owner>(
  address: string,
  port: number,
  owner: Owner,
  onEnd: HandshakeEnd<Owner>,
  onRead?: BareRead<Owner>,
) => BareHandshake<Owner> | undefined;

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

/**
 * Where ping `seq` goes; its `onUnverifiedIcmp` hears of errors that come after it ended (as
 * `late`). A ProbeRequest is one: the capture copies these fields and keeps none of the ping's objects.
 */
export interface IcmpDestination {
  readonly host: string;
  readonly port: number;
  readonly seq: number;
  readonly onUnverifiedIcmp?: UnverifiedIcmpListener | undefined;
}

/** The port the ICMP capture offers to probes. */
export interface IcmpWatcher {
  watch(destination: IcmpDestination): IcmpWatch;
}

export interface ProbeContext {
  readonly clock: Clock;
  /** Socket factory (node:net's `connect`, or one whose sockets report ICMP errors at once). */
  readonly connect: ConnectFn;
  /** The cheaper way to a connection (connect mode's handshake, echo mode's fresh connection), where Node's handle can be had. */
  readonly handshake?: HandshakeOpener;
  /** Present when ICMP capture runs: type and code for errors the socket only has an errno for, and errors counted apart. */
  readonly icmp?: IcmpWatcher;
  /** The kernel's record of each socket (Linux): kernel-timed figures and stall-proof verdicts. Absent: userland timing. */
  readonly kernel?: SocketKernel;
}

/** Every probe mode has this signature; the probers table dispatches on the mode. */
export type Prober = (request: ProbeRequest, context: ProbeContext) => Promise<PingResult>;
