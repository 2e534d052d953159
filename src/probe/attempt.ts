import type { OnReadOpts, Socket } from 'node:net';
import type { KernelFigures, Loss, LossReason, PingResult, Reply, Timing } from '../domain/ping.js';
import { BareHandshake, type BareRead, type HandshakeEnd } from '../kernel/bare-tcp.js';
import type { KernelSocket } from '../kernel/sockets.js';
import type { TimerHandle } from '../util/clock.js';
import { err, ok } from '../util/result.js';
import { reasonForError, systemError } from './errno.js';
import { STALL_SLACK_SECONDS } from './kernel-rules.js';
import { PingIcmp } from './ping-icmp.js';
import { PingTiming } from './timing.js';
import type { ProbeContext, ProbeRequest } from './types.js';

/**
 * Closes a probe's socket without leaving TIME_WAIT behind: an RST instead of a FIN (SO_LINGER 0),
 * so thousands of pings per second do not pile up sockets or exhaust ephemeral ports. A socket
 * still handshaking is simply destroyed; the kernel drops the half-open attempt.
 */
export function discard(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/** The attempt a probe's socket belongs to, for listeners shared by all pings. */
const owner = Symbol('attempt');
type OwnedSocket = Socket & { [owner]?: Attempt };

/** The attempt that opened `socket` (see Attempt.open). */
export function attemptOf(socket: Socket): Attempt | undefined {
  return (socket as OwnedSocket)[owner];
}

function onConnectionAttempt(this: Socket, address: string, port: number): void {
  attemptOf(this)?.connectIssued(this, address, port);
}

function onConnectionAttemptFailed(this: Socket): void {
  attemptOf(this)?.connectFailed(this);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;

/**
 * One ping's lifetime: a deadline on the injected clock, an abort signal, and a single
 * resolution. Probes report what their socket did (`open`, `connected`, `send`, `replied`, or an
 * error); whichever ends the ping first wins and cleans up. Where the kernel can be asked, its
 * record decides at the deadline and bounds every figure, so a stalled event loop neither loses
 * a ping that was answered in time nor inflates its RTT.
 */
export class Attempt {
  private settled = false;
  private timer: TimerHandle | undefined;
  /** When the timer fires; the deadline may lie after it (see arm). */
  private timerAtMs = 0;
  private deadlineMs = 0;
  /** The deadline after a wait for what the kernel already saw (a reply to read, an error to report) is the last. */
  private finalDeadline = false;
  private socket: Socket | BareHandshake | undefined;
  private readonly timing: PingTiming;
  private readonly icmp: PingIcmp;
  private readonly onAbort = () => this.fail('error', 'aborted (shutting down)');
  private readonly timingSource: Timing;
  private synRetransmits: number | undefined;
  private stalledSeconds: number | undefined;
  /** Set once the probe's body has returned it: closes what the body opened, however the ping ended. */
  cleanup: ((ok: boolean, attempt: Attempt) => void) | undefined;
  /** Connect mode: a completed handshake is the reply. */
  private answersOnHandshake = false;
  connectSeconds: number | undefined;

  constructor(
    private readonly request: ProbeRequest,
    private readonly context: ProbeContext,
    private readonly resolve: (result: PingResult) => void,
  ) {
    this.timing = new PingTiming(context.kernel, request.timeoutMs / 1000);
    this.timingSource = context.kernel ? 'kernel' : 'userland';
    this.icmp = new PingIcmp(request, context);
    this.arm(request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get done(): boolean {
    return this.settled;
  }

  /**
   * Opens the ping's connection. `answersOnHandshake`: a completed handshake is the reply (connect
   * mode). `onread`: where the socket reads to (node:net's option), instead of a 'data' event.
   */
  open(answersOnHandshake = false, onread?: OnReadOpts): Socket {
    this.answersOnHandshake = answersOnHandshake;
    this.timing.connectIssued();
    // Nagle only delays writes: a handshake-only ping writes nothing, and saves the setsockopt(2).
    const { host, port } = this.request;
    const noDelay = !answersOnHandshake;
    const socket = this.context.connect(onread ? { host, port, noDelay, onread } : { host, port, noDelay });
    this.socket = socket;
    (socket as OwnedSocket)[owner] = this;
    // Listeners shared by every ping (`this` is the socket), not closures made per ping.
    socket.on('connectionAttempt', onConnectionAttempt);
    socket.on('connectionAttemptFailed', onConnectionAttemptFailed);
    return socket;
  }

  /**
   * Connect mode's handshake on a bare handle (see BareHandshake), where the context offers one:
   * its connect(2) is issued here and `onEnd` hears how it ended. False when none can be had
   * (`open` then makes a net.Socket). The timeout counts from here, as from 'connectionAttempt'.
   */
  openHandshake(onEnd: HandshakeEnd<Attempt>): boolean {
    return this.openBare(true, this, onEnd);
  }

  /**
   * A connection on a bare handle, as openHandshake, for a probe that also writes and reads
   * (echo mode): its reads go to `onRead`, and `owner` is what the shared callbacks are told of.
   */
  openBare<Owner>(answersOnHandshake: boolean, owner: Owner, onEnd: HandshakeEnd<Owner>, onRead?: BareRead<Owner>): boolean {
    const opener = this.context.handshake;
    if (!opener) return false;
    this.answersOnHandshake = answersOnHandshake;
    this.timing.connectIssued();
    this.arm(this.request.timeoutMs);
    const { host, port } = this.request;
    const socket = opener(host, port, owner, onEnd, onRead);
    if (!socket) return false;
    // Refused before it left (no route, no source address): already failed, and closed.
    if (this.settled) return true;
    // An opener that dropped `onRead` made a connection that cannot read: net.Socket then, as where none can be had.
    if (onRead && !socket.reads) {
      socket.discard();
      return false;
    }
    this.socket = socket as BareHandshake;
    this.icmp.attempting(socket, host, port);
    return true;
  }

  /**
   * Node emits 'connectionAttempt' just before it issues connect(2), in the same tick: the timeout
   * counts from the SYN, so a stall between the ping's start and the SYN is not counted against the network.
   */
  connectIssued(socket: Socket, address: string, port: number): void {
    this.timing.connectIssued();
    this.arm(this.request.timeoutMs);
    this.icmp.attempting(socket, address, port);
  }

  /**
   * 'connectionAttemptFailed': the failed socket is still open here and libuv has already read its
   * error: the one moment its error queue can be read safely, and what the kernel retransmitted before the failure.
   */
  connectFailed(socket: KernelSocket): void {
    this.icmp.pin();
    this.icmp.takeQueued(socket);
    const info = this.context.kernel?.tcpInfo(socket);
    if (info) this.note({ synRetransmits: info.totalRetrans });
  }

  /** Closes the connection `open` or `openHandshake` made, the RST way (see discard). */
  discardSocket(): void {
    if (this.socket instanceof BareHandshake) this.socket.discard();
    else if (this.socket) discard(this.socket);
  }

  /** Pings over a kept connection: no handshake, the request goes out at once. */
  reuse(socket: Socket): void {
    this.socket = socket;
    this.icmp.reused(socket);
  }

  /** At 'connect'. False when the kernel says the handshake took longer than the timeout (our loop stalled past it). */
  connected(): boolean {
    if (!this.socket) return false;
    const handshake = this.timing.handshake(this.socket);
    this.connectSeconds = handshake.seconds;
    this.note(handshake);
    if (handshake.seconds <= this.timing.budgetSeconds) return true;
    this.fail('timeout', `the handshake took ${ms(handshake.seconds)}, more than ${this.request.timeoutMs} ms`);
    return false;
  }

  /**
   * Writes the request (`write` is given `socket`, so a probe's can be one function for every
   * ping). Its reply may take what the handshake left of the timeout, counted from the write: time
   * our loop took between the handshake and the write was not the network's.
   */
  send<S extends KernelSocket>(socket: S, write: (socket: S) => void): void {
    const left = this.request.timeoutMs / 1000 - (this.connectSeconds ?? 0);
    this.context.kernel?.reportErrors(socket);
    this.timing.writing(left);
    write(socket);
    // Without the kernel's handshake time the deadline stays where it was: userland cannot tell a stall from the network.
    if (this.timing.kernelTimed) this.arm(left * 1000);
    // An ICMP error for the request that came while write() held the socket is only noted there.
    const errno = this.context.kernel?.takeError(socket);
    if (errno) this.failWith(systemError(errno, 'write'));
  }

  /** The whole reply is in; `at` is when 'data' ran (performance.now()). */
  replied(at: number, reply: string): void {
    if (!this.socket || this.settled) return;
    const rtt = this.timing.reply(this.socket, at);
    this.note(rtt);
    if (rtt.seconds <= this.timing.budgetSeconds) this.succeed(rtt.seconds, reply);
    else this.fail('timeout', `the reply came after ${ms(rtt.seconds)}`);
  }

  succeed(rttSeconds: number, reply?: string): void {
    if (!this.finish(true)) return;
    this.icmp.succeeded();
    // Built field by field, not spread: a ping's result is made thousands of times a second.
    const value: Mutable<Reply> = { seq: this.request.seq, rttSeconds };
    if (this.connectSeconds !== undefined) value.connectSeconds = this.connectSeconds;
    if (reply !== undefined) value.reply = reply;
    this.resolve(ok(this.withFigures(value)));
  }

  fail(reason: LossReason, detail: string, errno?: string): void {
    if (!this.finish(false)) return;
    const explained = this.icmp.failed(reason, errno);
    const loss: Mutable<Loss> = { seq: this.request.seq, reason: explained.reason, detail };
    if (errno !== undefined) loss.errno = errno;
    if (this.connectSeconds !== undefined) loss.connectSeconds = this.connectSeconds;
    if (explained.icmp) loss.icmp = explained.icmp;
    this.resolve(err(this.withFigures(loss)));
  }

  private withFigures<T extends Mutable<KernelFigures>>(outcome: T): T {
    outcome.timing = this.timingSource;
    if (this.synRetransmits !== undefined) outcome.synRetransmits = this.synRetransmits;
    if (this.stalledSeconds !== undefined) outcome.stalledSeconds = this.stalledSeconds;
    return outcome;
  }

  failWith(error: unknown): void {
    const { reason, detail, errno } = reasonForError(error);
    this.fail(reason, detail, errno);
  }

  private note(timed: { synRetransmits?: number; stalledSeconds?: number }): void {
    if (timed.synRetransmits !== undefined) this.synRetransmits = timed.synRetransmits;
    if (timed.stalledSeconds !== undefined) this.stalledSeconds = Math.max(this.stalledSeconds ?? 0, timed.stalledSeconds);
  }

  /**
   * Sets the deadline `timeoutMs` from now. A timer already due no later than that is kept, and
   * when it fires early it waits out the rest (see deadline): moving a deadline a few microseconds
   * on, as the SYN and the write do on every ping, then costs no new timer.
   */
  private arm(timeoutMs: number): void {
    const { clock } = this.context;
    this.deadlineMs = clock.nowMs() + timeoutMs;
    if (this.timer !== undefined && this.timerAtMs <= this.deadlineMs) return;
    clock.clearTimeout(this.timer);
    this.startTimer(timeoutMs);
  }

  private startTimer(delayMs: number): void {
    const { clock } = this.context;
    this.timerAtMs = clock.nowMs() + delayMs;
    this.timer = clock.setTimeout(this.onTimer, Math.max(0, delayMs));
  }

  private readonly onTimer = () => {
    this.timer = undefined;
    const earlyMs = this.deadlineMs - this.context.clock.nowMs();
    if (earlyMs > 0 && !this.finalDeadline) this.startTimer(earlyMs);
    else this.deadline();
  };

  /**
   * Waits for libuv to hand over what the kernel already has (a reply to read, an error to report):
   * that happens in the poll phase, and setImmediate runs right after it. Not a timer: a timer due
   * in 1 ms can still fire in the same timers phase when that phase ran long, before any poll.
   */
  private oneMoreTurn(): void {
    this.finalDeadline = true;
    this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    setImmediate(() => this.deadline());
  }

  private deadline(): void {
    if (this.settled) return;
    const lateSeconds = (this.context.clock.nowMs() - this.deadlineMs) / 1000;
    if (lateSeconds > STALL_SLACK_SECONDS) this.note({ stalledSeconds: lateSeconds });
    const verdict = this.finalDeadline ? { kind: 'timeout' as const } : this.timing.atDeadline(this.socket);
    switch (verdict.kind) {
      case 'handshake':
        this.note(verdict.handshake);
        if (this.answersOnHandshake) {
          this.connectSeconds = verdict.handshake.seconds;
          this.succeed(verdict.handshake.seconds);
        } else this.arm((this.timing.budgetSeconds - verdict.handshake.seconds) * 1000); // 'connect' runs next and sends
        return;
      case 'reply':
      case 'ended':
        this.oneMoreTurn();
        return;
      case 'timeout':
        this.note(verdict);
        if (this.timing.phase === 'connecting' && this.socket) this.icmp.takeQueued(this.socket); // destroyed in this turn
        this.fail('timeout', `no reply within ${this.request.timeoutMs} ms`);
    }
  }

  private finish(ok: boolean): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.request.signal?.removeEventListener('abort', this.onAbort);
    // Asked before the cleanup closes the socket, however the ping ended: a late ICMP error must
    // still find it by its source port, as a packet capture would attribute it.
    this.icmp.pin();
    this.cleanup?.(ok, this);
    // Node keeps a closed socket for a while (past young collections): it must not keep the whole ping.
    if (this.socket instanceof BareHandshake) this.socket.owner = undefined;
    else if (this.socket && attemptOf(this.socket) === this) (this.socket as OwnedSocket)[owner] = undefined;
    return true;
  }
}

/** A probe's cleanup that closes whatever the attempt opened, the RST way (see Attempt.discardSocket); one for every ping. */
export function discardOpened(_ok: boolean, a: Attempt): void {
  a.discardSocket();
}

/**
 * Runs `body` inside an Attempt, already failed if the signal was aborted before the start. The
 * body returns its cleanup: a function made once per probe where it can be (no closure per ping).
 */
export function attempt(
  request: ProbeRequest,
  context: ProbeContext,
  body: (attempt: Attempt) => (ok: boolean, attempt: Attempt) => void,
): Promise<PingResult> {
  return new Promise((resolve) => {
    const a = new Attempt(request, context, resolve);
    if (request.signal?.aborted) {
      a.fail('error', 'aborted (shutting down)');
      return;
    }
    try {
      const cleanup = body(a);
      // Settled while the body ran (its cleanup was not known yet): nothing more to close, as before.
      if (!a.done) a.cleanup = cleanup;
    } catch (error) {
      a.failWith(error);
    }
  });
}
