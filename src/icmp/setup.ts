import type { CaptureMode } from '../domain/ping.js';
import type { Clock } from '../util/clock.js';
import { TcppingError } from '../util/errors.js';
import { IcmpCapture, type OpenRawSocket } from './capture.js';

export interface CaptureSetup {
  /** Undefined when capture is off or not permitted. */
  readonly capture: IcmpCapture | undefined;
  /** Things to tell the user once (a missing privilege in auto mode, no IPv6). */
  readonly warnings: readonly string[];
}

/** How to grant the capability, with the catch that bites most often. */
export function howToGrant(): string {
  return [
    'ICMP capture opens raw sockets and needs CAP_NET_RAW. Grant it in one of these ways:',
    `  - file capability on the node binary: sudo setcap cap_net_raw+ep ${process.execPath}`,
    '    (ignored when the process runs with no-new-privileges, e.g. systemd NoNewPrivileges=yes or docker --security-opt no-new-privileges)',
    '  - systemd unit: AmbientCapabilities=CAP_NET_RAW (and CapabilityBoundingSet must include it)',
    '  - container: cap_add: [NET_RAW] (docker run --cap-add NET_RAW; Kubernetes securityContext.capabilities.add: ["NET_RAW"])',
    'or set icmp.capture to "off" to run without it.',
  ].join('\n');
}

/** What pings still learn of ICMP errors without capture. */
function withoutCapture(socketErrors: boolean): string {
  return socketErrors
    ? "pinging goes on, with the ICMP errors the kernel queues on each ping's socket (type, code and sender for the handshake's)"
    : 'pinging goes on without ICMP errors';
}

/**
 * Applies `icmp.capture`: off → nothing; auto → capture when permitted, else one warning and
 * pinging goes on; on → refuse to start without it. IPv4 decides: without an ICMPv6 socket
 * (IPv6 disabled) capture still runs for IPv4 targets, with a warning. `socketErrors`: the pings'
 * own sockets report ICMP errors (their error queue), so capture only adds to them.
 */
export function setUpCapture(
  mode: CaptureMode,
  openRawSocket: OpenRawSocket,
  clock: Clock,
  where = 'icmp.capture',
  socketErrors = false,
): CaptureSetup {
  if (mode === 'off') return { capture: undefined, warnings: [] };
  const capture = new IcmpCapture(clock);
  const failures = capture.open(openRawSocket);
  const v4 = failures.find((f) => f.family === 4);
  if (v4) {
    capture.stop();
    const why = `cannot open an ICMP raw socket: ${v4.error.message}`;
    if (mode === 'on') throw new TcppingError('ERR_ICMP_CAPTURE', `${where} is "on", but ${why}\n${howToGrant()}`, { cause: v4.error });
    return { capture: undefined, warnings: [`ICMP capture disabled (${why}); ${withoutCapture(socketErrors)}.\n${howToGrant()}`] };
  }
  const v6 = failures.find((f) => f.family === 6);
  const warnings = v6 ? [`ICMPv6 capture disabled (cannot open an ICMPv6 raw socket: ${v6.error.message}); IPv4 capture runs`] : [];
  return { capture, warnings };
}
