import type { Socket } from 'node:net';
import type { KernelFigures, LossReason, PingResult } from '../domain/ping.js';
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
  private socket: Socket | undefined;
  private readonly timing: PingTiming;
  private readonly icmp: PingIcmp;
  private readonly onAbort = () => this.fail('error', 'aborted (shutting down)');
  private figures: { -readonly [K in keyof KernelFigures]: KernelFigures[K] } = {};
  /** Connect mode: a completed handshake is the reply. */
  private answersOnHandshake = false;
  connectSeconds: number | undefined;

  constructor(
    private readonly request: ProbeRequest,
    private readonly context: ProbeContext,
    private readonly resolve: (result: PingResult) => void,
    private readonly cleanup: (ok: boolean) => void,
  ) {
    this.timing = new PingTiming(context.kernel, request.timeoutMs / 1000);
    this.figures.timing = context.kernel ? 'kernel' : 'userland';
    this.icmp = new PingIcmp(request, context);
    this.arm(request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get done(): boolean {
    return this.settled;
  }

  /** Opens the ping's connection. `answersOnHandshake`: a completed handshake is the reply (connect mode). */
  open(answersOnHandshake = false): Socket {
    this.answersOnHandshake = answersOnHandshake;
    this.timing.connectIssued();
    const socket = this.context.connect({ host: this.request.host, port: this.request.port, noDelay: true });
    this.socket = socket;
    // Node emits this just before it issues connect(2), in the same tick: the timeout counts from the
    // SYN, so a stall between the ping's start and the SYN is not counted against the network.
    socket.on('connectionAttempt', (address: string, port: number) => {
      this.timing.connectIssued();
      this.arm(this.request.timeoutMs);
      this.icmp.attempting(socket, address, port);
    });
    // The failed socket is still open here and libuv has already read its error: the one moment
    // its error queue can be read safely, and what the kernel retransmitted before the failure.
    socket.on('connectionAttemptFailed', () => {
      this.icmp.pin();
      this.icmp.takeQueued(socket);
      const info = this.context.kernel?.tcpInfo(socket);
      if (info) this.note({ synRetransmits: info.totalRetrans });
    });
    return socket;
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
   * Writes the request. Its reply may take what the handshake left of the timeout, counted from
   * the write: time our loop took between the handshake and the write was not the network's.
   */
  send(write: () => void): void {
    const left = this.request.timeoutMs / 1000 - (this.connectSeconds ?? 0);
    if (this.socket) this.context.kernel?.reportErrors(this.socket);
    this.timing.writing(left);
    write();
    // Without the kernel's handshake time the deadline stays where it was: userland cannot tell a stall from the network.
    if (this.timing.kernelTimed) this.arm(left * 1000);
    // An ICMP error for the request that came while write() held the socket is only noted there.
    const errno = this.socket && this.context.kernel?.takeError(this.socket);
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
    const connect = this.connectSeconds === undefined ? {} : { connectSeconds: this.connectSeconds };
    this.resolve(ok({ seq: this.request.seq, rttSeconds, ...connect, ...(reply === undefined ? {} : { reply }), ...this.figures }));
  }

  fail(reason: LossReason, detail: string, errno?: string): void {
    if (!this.finish(false)) return;
    const explained = this.icmp.failed(reason, errno);
    const connect = this.connectSeconds === undefined ? {} : { connectSeconds: this.connectSeconds };
    const loss = { seq: this.request.seq, reason: explained.reason, detail, ...(errno === undefined ? {} : { errno }), ...connect };
    this.resolve(err({ ...loss, ...(explained.icmp ? { icmp: explained.icmp } : {}), ...this.figures }));
  }

  failWith(error: unknown): void {
    const { reason, detail, errno } = reasonForError(error);
    this.fail(reason, detail, errno);
  }

  private note(timed: { synRetransmits?: number; stalledSeconds?: number }): void {
    if (timed.synRetransmits !== undefined) this.figures.synRetransmits = timed.synRetransmits;
    if (timed.stalledSeconds !== undefined) this.figures.stalledSeconds = Math.max(this.figures.stalledSeconds ?? 0, timed.stalledSeconds);
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
    this.cleanup(ok);
    return true;
  }
}

/** Runs `body` inside an Attempt, already failed if the signal was aborted before the start. */
export function attempt(
  request: ProbeRequest,
  context: ProbeContext,
  body: (attempt: Attempt) => (ok: boolean) => void,
): Promise<PingResult> {
  return new Promise((resolve) => {
    let cleanup: (ok: boolean) => void = () => {};
    const a = new Attempt(request, context, resolve, (ok) => cleanup(ok));
    if (request.signal?.aborted) {
      a.fail('error', 'aborted (shutting down)');
      return;
    }
    try {
      cleanup = body(a);
    } catch (error) {
      a.failWith(error);
    }
  });
}
