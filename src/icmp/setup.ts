import type { CaptureMode } from '../domain/ping.js';
import type { Clock } from '../util/clock.js';
import { TcppingError } from '../util/errors.js';
import { IcmpCapture, type OpenRawSocket } from './capture.js';

export interface CaptureSetup {
  /** Undefined when capture is off or not permitted. */
  readonly capture: IcmpCapture | undefined;
  /** Things to tell the user once (a missing privilege in auto mode, no IPv6). */
  readonly warnings: readonly string[];
  /** Why capture is off in auto mode, in a few words, for a one-line notice (the client's). */
  readonly off?: string;
}

/** Why a raw socket could not be opened, in a few words: a missing addon or privilege is the usual case. */
export function shortReason(error: Error): string {
  if (error.name === 'AddonMissingError') return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EPERM' || code === 'EACCES' || /not permitted|permission denied/i.test(error.message)) {
    return 'no permission to open raw sockets (needs CAP_NET_RAW)';
  }
  return `cannot open an ICMP raw socket: ${error.message}`;
}

/** How to grant the capability, with the catch that bites most often. */
export function howToGrant(): string {
  return [
    'ICMP capture opens raw sockets and needs CAP_NET_RAW. Grant it to this service, not to every node program:',
    '  - systemd unit: AmbientCapabilities=CAP_NET_RAW (and CapabilityBoundingSet must include it); see deploy/systemd/tcpping.service',
    '  - container: cap_add: [NET_RAW] (docker run --cap-add NET_RAW; Kubernetes securityContext.capabilities.add: ["NET_RAW"])',
    `  - a file capability on a copy of node kept for tcpping (not ${process.execPath} itself, which every script runs):`,
    '    sudo setcap cap_net_raw+ep COPY; ignored under no-new-privileges (systemd NoNewPrivileges=yes, docker --security-opt no-new-privileges)',
    'or set icmp.capture to "off" to run without it.',
  ].join('\n');
}

/**
 * Applies `icmp.capture`: off → nothing; auto → capture when permitted, else one warning and
 * pinging goes on; on → refuse to start without it. IPv4 decides: without an ICMPv6 socket
 * (IPv6 disabled) capture still runs for IPv4 targets, with a warning.
 */
export function setUpCapture(mode: CaptureMode, openRawSocket: OpenRawSocket, clock: Clock, where = 'icmp.capture'): CaptureSetup {
  if (mode === 'off') return { capture: undefined, warnings: [] };
  const capture = new IcmpCapture(clock);
  const failures = capture.open(openRawSocket);
  const v4 = failures.find((f) => f.family === 4);
  if (v4) {
    capture.stop();
    const why = shortReason(v4.error);
    const grant = v4.error.name === 'AddonMissingError' ? '' : `\n${howToGrant()}`;
    if (mode === 'on') throw new TcppingError('ERR_ICMP_CAPTURE', `${where} is "on", but ${why}${grant}`, { cause: v4.error });
    return { capture: undefined, off: why, warnings: [`ICMP capture disabled (${why}); pinging goes on without ICMP errors.${grant}`] };
  }
  const v6 = failures.find((f) => f.family === 6);
  const warnings = v6 ? [`ICMPv6 capture disabled (cannot open an ICMPv6 raw socket: ${v6.error.message}); IPv4 capture runs`] : [];
  return { capture, warnings };
}
