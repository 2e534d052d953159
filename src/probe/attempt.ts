import type { Socket } from 'node:net';
import type { Loss, LossReason, PingResult, Reply } from '../domain/ping.js';
import { err, ok } from '../util/result.js';
import { reasonForError } from './errno.js';
import { lossReasonWithIcmp } from './icmp-reason.js';
import type { IcmpWatch, ProbeContext, ProbeRequest } from './types.js';

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

/**
 * In SYN_SENT, Linux aborts the connect as soon as an ICMP unreachable (or time exceeded) arrives,
 * and the raw socket's copy of that packet races the connect error through the event loop. The
 * kernel queues the raw copy first, so it is normally read in the same loop turn; this bounds the
 * wait for the rare case where it is not. Only errors an ICMP can cause wait; a timeout does not
 * (an ICMP error comes within a round trip, long before the timeout).
 */
export const ICMP_GRACE_MS = 50;
const icmpCaused: ReadonlySet<LossReason> = new Set(['unreachable', 'refused']);

/** Node's socket.localPort is empty while connecting; the handle knows the port once connect(2) is issued. */
function boundLocalPort(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { getsockname?: (out: { port?: number }) => number } })._handle;
  const out: { port?: number } = {};
  if (handle?.getsockname?.(out) === 0 && out.port) return out.port;
  return socket.localPort || undefined;
}

/**
 * One ping's lifetime: a timeout on the injected clock, an abort signal, and a single
 * resolution. Probes call `succeed`/`fail`; whichever comes first wins and cleans up.
 */
export class Attempt {
  private settled = false;
  private readonly timer;
  private readonly onAbort = () => this.fail('error', 'aborted (shutting down)');
  connectSeconds: number | undefined;
  private readonly watch: IcmpWatch | undefined;

  constructor(
    private readonly request: ProbeRequest,
    private readonly context: ProbeContext,
    private readonly resolve: (result: PingResult) => void,
    private readonly cleanup: (ok: boolean) => void,
  ) {
    this.timer = context.clock.setTimeout(() => this.fail('timeout', `no reply within ${request.timeoutMs} ms`), request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.watch = context.icmp?.watch({ host: request.host, port: request.port }, request.onLateIcmp);
  }

  /**
   * Tells the ICMP capture which source port this ping's SYNs leave from. Node emits
   * 'connectionAttempt' (once per address tried) just before it issues connect(2) in the same
   * tick, so a microtask queued there runs right after the kernel picked the port.
   */
  track(socket: Socket): void {
    const watch = this.watch;
    if (!watch) return;
    if (!socket.connecting && socket.remoteAddress && socket.localPort) {
      watch.bound(socket.remoteAddress, socket.remotePort ?? this.request.port, socket.localPort);
      return;
    }
    socket.on('connectionAttempt', (address: string, port: number) =>
      queueMicrotask(() => {
        const localPort = boundLocalPort(socket);
        if (localPort) watch.bound(address, port, localPort);
      }),
    );
  }

  get done(): boolean {
    return this.settled;
  }

  succeed(rttSeconds: number, reply?: string): void {
    if (!this.finish(true)) return;
    const base: Reply = { seq: this.request.seq, rttSeconds };
    const withConnect = this.connectSeconds === undefined ? base : { ...base, connectSeconds: this.connectSeconds };
    this.resolve(ok(reply === undefined ? withConnect : { ...withConnect, reply }));
    // An error for an earlier SYN of this ping, or one still to come, counts for the target as a late one.
    void this.watch?.end(0, true);
  }

  fail(reason: LossReason, detail: string, errno?: string): void {
    if (!this.finish(false)) return;
    const loss: Loss = { seq: this.request.seq, reason, detail };
    const withErrno = errno === undefined ? loss : { ...loss, errno };
    const result = this.connectSeconds === undefined ? withErrno : { ...withErrno, connectSeconds: this.connectSeconds };
    if (!this.watch) {
      this.resolve(err(result));
      return;
    }
    void this.watch
      .end(icmpCaused.has(reason) ? ICMP_GRACE_MS : 0)
      .then((icmp) => this.resolve(err(icmp ? { ...result, reason: lossReasonWithIcmp(reason, icmp), icmp } : result)));
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
