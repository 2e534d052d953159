import type { PathHop, PathTrace } from '../domain/path.js';
import { readErrorQueue } from '../kernel/error-queue.js';
import { ephemeralPortRange, holdReceiveTimestamps, openHopSocket, realtimeNs } from '../kernel/hop-socket.js';
import { libc, libcUnavailable } from '../kernel/libc.js';
import { readTcpInfo } from '../kernel/tcp-info.js';
import type { Clock, Random } from '../util/clock.js';
import { type HopProbe, type HopSockets, probeHop } from './probe.js';
import { runTrace, type TraceRequest } from './trace.js';
import { PathTracer, type TracerDeps, type TracerSettings } from './tracer.js';

/** The kernel's sockets for traces, with what a trace holds while it runs; or why there are none here. */
export interface TraceKernel {
  readonly sockets: HopSockets;
  /** Keeps arrival stamps of ICMP errors exact while a trace runs; call the result at its end. */
  readonly holdTimestamps: () => () => void;
  /** The ports connect(2) picks from (the pings'), which a trace's source port stays out of. */
  readonly ephemeralPorts: () => readonly [number, number] | undefined;
}

export const linuxHopSockets: HopSockets = {
  open: openHopSocket,
  errors: (fd) => readErrorQueue(fd),
  tcpInfo: readTcpInfo,
  realtimeNs,
};

/**
 * Traces need the socket's error queue (Linux, through koffi) and nothing else: no raw socket, no
 * privilege. Where the kernel bindings cannot load, the reason.
 */
export function traceKernel(): TraceKernel | { readonly unavailable: string } {
  const reason = libcUnavailable();
  if (reason !== undefined || !libc()) return { unavailable: reason ?? 'unknown' };
  return { sockets: linuxHopSockets, holdTimestamps: holdReceiveTimestamps, ephemeralPorts: ephemeralPortRange };
}

/**
 * Traces on the kernel's sockets, each holding receive timestamps on while it runs and keeping
 * its source port out of the range the pings' ports come from.
 */
export function kernelTraces(
  kernel: TraceKernel,
  clock: Clock,
  random: Random,
): (request: TraceRequest, onHop?: (hop: PathHop) => void) => Promise<PathTrace> {
  return (request, onHop) => {
    const release = kernel.holdTimestamps();
    const ephemeral = kernel.ephemeralPorts();
    const deps = { probe: (p: HopProbe) => probeHop(p, { sockets: kernel.sockets, clock }), clock, random };
    return runTrace(request, { ...deps, ...(ephemeral ? { ephemeralPorts: ephemeral } : {}), ...(onHop ? { onHop } : {}) }).finally(
      release,
    );
  };
}

/**
 * The service's tracer on the kernel's sockets, holding receive stamps on from now until it stops;
 * or why there can be none here (then no target is traced).
 */
export function kernelTracer(
  settings: TracerSettings,
  deps: Omit<TracerDeps, 'trace' | 'release'> & { readonly random: Random },
): PathTracer | { readonly unavailable: string } {
  const kernel = traceKernel();
  if ('unavailable' in kernel) return kernel;
  const trace = kernelTraces(kernel, deps.clock, deps.random);
  return new PathTracer(settings, { ...deps, trace: (request) => trace(request), release: kernel.holdTimestamps() });
}
