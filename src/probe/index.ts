import { connect } from 'node:net';
import type { ProbeMode } from '../domain/target.js';
import { openBareHandshake } from '../kernel/bare-tcp.js';
import { kernelSockets } from '../kernel/sockets.js';
import { systemClock } from '../util/clock.js';
import { connectProbe } from './connect.js';
import { echoProbe } from './echo.js';
import type { HandshakeOpener, ProbeContext, Prober } from './types.js';

export const probers = { echo: echoProbe, connect: connectProbe } satisfies Record<ProbeMode, Prober>;

const kernel = kernelSockets();

/**
 * Why figures are timed in userland here (no TCP_INFO: not Linux, or koffi could not load), or
 * undefined when the kernel times them. Said in the log, on /metrics and in /api/v1/targets.
 */
export const kernelTimingUnavailable: string | undefined = 'unavailable' in kernel ? kernel.unavailable : undefined;

/** IPv6 handshakes report their ICMP errors at once where the kernel views work (see connectWithErrorQueue). */
const receiveErrors6 = 'kernel' in kernel;
const handshake: HandshakeOpener = (address, port, owner, onEnd, onRead) =>
  openBareHandshake(address, port, owner, onEnd, receiveErrors6, onRead);

/** Real sockets: the kernel's record of each where it can be asked, node:net alone where not. */
export const defaultProbeContext: ProbeContext =
  'kernel' in kernel
    ? { clock: systemClock, connect: kernel.connect, handshake, kernel: kernel.kernel }
    : { clock: systemClock, connect, handshake };
