import { Socket } from 'node:net';
import type { ProbeOutcome } from '../domain/path.js';
import type { QueuedError } from '../kernel/error-queue.js';
import { TcpState } from '../kernel/linux.js';
import type { TcpInfo } from '../kernel/tcp-info.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Result } from '../util/result.js';

/** What a probe needs of the kernel; src/trace/sockets.ts binds the real one. */
export interface HopSockets {
  /** A TCP socket whose SYN crosses at most `hops` routers, bound to `sourcePort`, reporting ICMP errors; or the errno's name. */
  open(family: 4 | 6, hops: number, sourcePort: number): Result<number, string>;
  /** The ICMP errors (and local ones) queued on the socket; only where the connect failed or the socket is destroyed in the same turn. */
  errors(fd: number): QueuedError[];
  tcpInfo(fd: number): TcpInfo | undefined;
  /** CLOCK_REALTIME in ns, the clock of the errors' arrival stamps. */
  realtimeNs(): bigint | undefined;
}

export interface HopProbe {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly hops: number;
  readonly sourcePort: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ProbeDeps {
  readonly sockets: HopSockets;
  readonly clock: Clock;
}

export type HopProber = (probe: HopProbe) => Promise<ProbeOutcome>;

const ICMP_ORIGINS = new Set([2, 3]); // SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6
const isTimeExceeded = (family: 4 | 6, type: number) => type === (family === 4 ? 11 : 3);
const sinceSeconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * One TTL-limited SYN: the router where its TTL runs out answers with ICMP time exceeded, which
 * fails the connect (EHOSTUNREACH) and waits on the socket's error queue with its sender and
 * arrival time; the destination answers with a SYN-ACK ('connect') or a RST (ECONNREFUSED, queue
 * empty); a router may refuse it with destination unreachable. RTTs are the kernel's: the error's
 * arrival stamp against the clock read just before connect(2), the handshake's first RTT sample;
 * only a RST is timed in userland. At the deadline the kernel is asked what came in time, so a
 * stalled event loop loses no answer; an answer later than the timeout is no answer.
 */
export function probeHop(probe: HopProbe, { sockets, clock }: ProbeDeps): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const opened = sockets.open(probe.family, probe.hops, probe.sourcePort);
    if (!opened.ok) {
      resolve({
        answer: 'error',
        detail: `cannot open a probe socket from port ${probe.sourcePort}: ${opened.error}`,
        errno: opened.error,
      });
      return;
    }
    const fd = opened.value;
    const socket = new Socket({ fd });
    const budgetSeconds = probe.timeoutMs / 1000;
    let sentNs: bigint | undefined;
    let sentAt = process.hrtime.bigint();
    let timer: TimerHandle | undefined;
    let done = false;
    const finish = (outcome: ProbeOutcome) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      probe.signal?.removeEventListener('abort', onAbort);
      // Never a FIN: a reset (or a close in SYN_SENT) leaves no TIME_WAIT, so the next probe can bind the port.
      if (socket.connecting) socket.destroy();
      else socket.resetAndDestroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ answer: 'error', detail: 'aborted' });
    /** The ICMP error the kernel queued for this probe, timed by its arrival; undefined if none or too late. */
    const queued = (): ProbeOutcome | undefined => {
      const entry = sockets.errors(fd).find((e) => ICMP_ORIGINS.has(e.origin));
      if (!entry?.offender) return undefined;
      const stamped = entry.receivedAtNs !== undefined && sentNs !== undefined ? Number(entry.receivedAtNs - sentNs) / 1e9 : undefined;
      const rttSeconds = stamped !== undefined && stamped >= 0 ? stamped : sinceSeconds(sentAt);
      if (rttSeconds > budgetSeconds) return undefined;
      const icmp = { family: probe.family, type: entry.type, code: entry.code, reporter: entry.offender };
      const answer = isTimeExceeded(probe.family, entry.type) ? 'time-exceeded' : 'unreachable';
      return { answer, from: entry.offender, rttSeconds, icmp };
    };
    /** The handshake's time: the kernel's first RTT sample when no SYN was retransmitted. */
    const handshakeSeconds = (): number => {
      const info = sockets.tcpInfo(fd);
      return info && info.totalRetrans === 0 && info.rttUs > 0 ? info.rttUs / 1e6 : sinceSeconds(sentAt);
    };
    const deadline = () => {
      // Our timer may run late (a busy loop): what does the kernel already have? The socket is destroyed in this turn.
      const error = queued();
      if (error) return finish(error);
      const info = sockets.tcpInfo(fd);
      if (info?.state === TcpState.ESTABLISHED) {
        const seconds = handshakeSeconds();
        return finish(seconds <= budgetSeconds ? { answer: 'syn-ack', from: probe.address, rttSeconds: seconds } : { answer: 'none' });
      }
      // Closed by a RST libuv has not reported yet: it does in its next poll, which runs before an immediate.
      if (info?.state === TcpState.CLOSE) setImmediate(() => finish({ answer: 'none' }));
      else finish({ answer: 'none' });
    };
    const arm = () => {
      clock.clearTimeout(timer);
      timer = clock.setTimeout(deadline, probe.timeoutMs);
    };
    arm();
    probe.signal?.addEventListener('abort', onAbort, { once: true });
    // Emitted just before connect(2) in the same tick: the SYN leaves now.
    socket.on('connectionAttempt', () => {
      sentNs = sockets.realtimeNs();
      sentAt = process.hrtime.bigint();
      arm();
    });
    // The failed socket is still open here: the one moment its error queue can be read safely.
    socket.once('connectionAttemptFailed', () => {
      const error = queued();
      if (error) finish(error);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        const rttSeconds = sinceSeconds(sentAt);
        finish(rttSeconds <= budgetSeconds ? { answer: 'reset', from: probe.address, rttSeconds } : { answer: 'none' });
      } else finish({ answer: 'error', detail: error.message, ...(error.code ? { errno: error.code } : {}) });
    });
    socket.once('connect', () => {
      const rttSeconds = handshakeSeconds();
      finish(rttSeconds <= budgetSeconds ? { answer: 'syn-ack', from: probe.address, rttSeconds } : { answer: 'none' });
    });
    if (probe.signal?.aborted) onAbort();
    else socket.connect({ host: probe.address, port: probe.port });
  });
}
