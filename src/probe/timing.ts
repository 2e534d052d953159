import type { KernelSocket, SocketKernel } from '../kernel/sockets.js';
import {
  boundByKernel,
  type DeadlineVerdict,
  judgeDeadline,
  kernelHandshake,
  kernelReplySeconds,
  STALL_SLACK_SECONDS,
} from './kernel-rules.js';

/** Milliseconds, monotonic: a number, not a BigInt (process.hrtime.bigint() allocates one per stamp). */
const now = () => performance.now();
const secondsSince = (startMs: number, endMs = now()) => (endMs - startMs) / 1000;

export interface Timed {
  readonly seconds: number;
  readonly synRetransmits?: number;
  /** Set when userland was later than the kernel's record by more than the slack. */
  readonly stalledSeconds?: number;
}

/**
 * One ping's clock: userland stamps taken in the socket callbacks (performance.now()), checked
 * against the kernel's record of the socket where it can be asked, so that time the event loop
 * lost is never counted against the network. The probe says what happened; the attempt asks it
 * at the deadline.
 */
export class PingTiming {
  phase: 'connecting' | 'awaiting-reply' = 'connecting';
  private connectAt = 0;
  private writeAt = 0;
  /** The reply's time, when a late deadline found the reply waiting in the socket. */
  private replySeconds: number | undefined;

  constructor(
    private readonly kernel: SocketKernel | undefined,
    /** What the current phase may take. */
    public budgetSeconds: number,
  ) {}

  get kernelTimed(): boolean {
    return this.kernel !== undefined;
  }

  connectIssued(): void {
    this.connectAt = now();
  }

  /** At 'connect': the handshake's time; the kernel's first RTT sample when it can be asked. */
  handshake(socket: KernelSocket): Timed {
    const userland = secondsSince(this.connectAt);
    const info = this.kernel?.tcpInfo(socket);
    if (!info) return { seconds: userland };
    const { seconds, synRetransmits } = kernelHandshake(info, secondsSince(this.connectAt));
    const stall = userland - seconds;
    return stall > STALL_SLACK_SECONDS ? { seconds, synRetransmits, stalledSeconds: stall } : { seconds, synRetransmits };
  }

  /** The request is about to be written; its reply may take `budgetSeconds`. */
  writing(budgetSeconds: number): void {
    this.phase = 'awaiting-reply';
    this.budgetSeconds = budgetSeconds;
    this.writeAt = now();
  }

  /** The whole reply is in, as 'data' saw at `atMs` (performance.now()): write → reply, bounded by the kernel's record. */
  reply(socket: KernelSocket, atMs: number): Timed {
    const userland = secondsSince(this.writeAt, atMs);
    if (this.replySeconds !== undefined) {
      // A late deadline found the reply waiting: its time is the kernel's, whatever userland says.
      const stall = userland - this.replySeconds;
      return stall > STALL_SLACK_SECONDS ? { seconds: this.replySeconds, stalledSeconds: stall } : { seconds: this.replySeconds };
    }
    // Below the slack no stall can be told apart from a jiffy: skip the system call.
    if (!this.kernel || userland <= STALL_SLACK_SECONDS) return { seconds: userland };
    const info = this.kernel.tcpInfo(socket);
    return info ? boundByKernel(userland, kernelReplySeconds(info)) : { seconds: userland };
  }

  /** The deadline has come (perhaps late): what the kernel saw happen in time. */
  atDeadline(socket: KernelSocket | undefined): DeadlineVerdict {
    const kernel = this.kernel;
    if (!kernel || !socket) return { kind: 'timeout' };
    const connecting = this.phase === 'connecting';
    const verdict = judgeDeadline({
      phase: this.phase,
      info: kernel.tcpInfo(socket),
      bytesWaiting: connecting ? undefined : kernel.bytesWaiting(socket),
      elapsedSeconds: secondsSince(this.connectAt),
      budgetSeconds: this.budgetSeconds,
    });
    if (verdict.kind === 'reply') this.replySeconds = verdict.rttSeconds;
    return verdict;
  }
}
