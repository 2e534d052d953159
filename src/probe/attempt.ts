import type { Socket } from 'node:net';
import { reasonForError } from './errors.js';
import type { LossReason, PingResult, ProbeContext, ProbeRequest } from './types.js';

export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

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

type Loss = Extract<PingResult, { ok: false }>;

/**
 * One ping's lifetime: a timeout on the injected clock, an abort signal, and a single
 * resolution. Probes call `succeed`/`fail`; whichever comes first wins and cleans up.
 */
export class Attempt {
  private settled = false;
  private readonly timer;
  private readonly onAbort = () => this.fail('error', 'aborted (shutting down)');
  connectSeconds: number | undefined;

  constructor(
    private readonly request: ProbeRequest,
    private readonly context: ProbeContext,
    private readonly resolve: (result: PingResult) => void,
    private readonly cleanup: (ok: boolean) => void,
  ) {
    this.timer = context.clock.setTimeout(() => this.fail('timeout', `no reply within ${request.timeoutMs} ms`), request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get done(): boolean {
    return this.settled;
  }

  succeed(rttSeconds: number, reply?: string): void {
    if (!this.finish(true)) return;
    const { seq } = this.request;
    const base = { ok: true as const, seq, rttSeconds };
    const withConnect = this.connectSeconds === undefined ? base : { ...base, connectSeconds: this.connectSeconds };
    this.resolve(reply === undefined ? withConnect : { ...withConnect, reply });
  }

  fail(reason: LossReason, detail: string, errno?: string): void {
    if (!this.finish(false)) return;
    const loss: Loss = { ok: false, seq: this.request.seq, reason, detail };
    const withErrno = errno === undefined ? loss : { ...loss, errno };
    this.resolve(this.connectSeconds === undefined ? withErrno : { ...withErrno, connectSeconds: this.connectSeconds });
  }

  failWith(error: unknown): void {
    const { reason, detail, errno } = reasonForError(error);
    this.fail(reason, detail, errno);
  }

  private finish(ok: boolean): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.context.clock.clearTimeout(this.timer);
    this.request.signal?.removeEventListener('abort', this.onAbort);
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
