import { isIP } from 'node:net';
import { closeFd, openTcp6ReceivingErrors } from './sockopt.js';

/**
 * node:net's own TCP handle (libuv's uv_tcp_t), the object a net.Socket keeps in `_handle`. Only
 * what a handshake needs: connect, the source port, and the two ways to close.
 */
interface TcpHandle {
  readonly fd: number;
  open(fd: number): number;
  connect(request: ConnectRequest, address: string, port: number): number;
  connect6(request: ConnectRequest, address: string, port: number): number;
  getsockname(out: { port?: number }): number;
  /** Close with an RST (SO_LINGER 0): no TIME_WAIT left behind. Non-zero when it cannot. */
  reset(): number;
  close(): void;
}

/** libuv's connect request; `oncomplete` is called with the connect's status (0, or a negative errno). */
interface ConnectRequest {
  oncomplete: (status: number, handle: TcpHandle, request: ConnectRequest) => void;
  handshake: BareHandshake<unknown>;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectRequest;
  constants: { SOCKET: number };
}

/**
 * The binding node:net itself connects through (`process.binding('tcp_wrap')`, on Node's list of
 * bindings still given out; 20, 22 and 24 have the same shape). Undefined where it is gone or
 * changed: handshakes then go through net.Socket as before.
 */
function tcpWrap(): TcpWrapBinding | undefined {
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding?.('tcp_wrap') as
      | Partial<TcpWrapBinding>
      | undefined;
    const { TCP, TCPConnectWrap, constants } = binding ?? {};
    if (typeof TCP !== 'function' || typeof TCPConnectWrap !== 'function' || typeof constants?.SOCKET !== 'number') return undefined;
    const methods = ['open', 'connect', 'connect6', 'getsockname', 'reset', 'close'] as const;
    if (!methods.every((name) => typeof TCP.prototype[name] === 'function')) return undefined;
    return { TCP, TCPConnectWrap, constants: { SOCKET: constants.SOCKET } };
  } catch {
    return undefined;
  }
}

const binding = tcpWrap();

/** False where Node's handles cannot be had: connect mode then handshakes on net.Socket. */
export const bareHandlesAvailable = binding !== undefined;

/** What the kernel views read of a BareHandshake, whoever owns it: the handle, as they read a net.Socket's. */
export interface BareSocket {
  readonly _handle: { readonly fd: number } | null;
  readonly localPort: number | undefined;
}

/** Told once how the handshake ended: 0 connected, else the negative errno (as node:net's errors carry it). */
export type HandshakeEnd<Owner> = (handshake: BareHandshake<Owner>, status: number) => void;

/**
 * A TCP connection that only ever handshakes (connect mode): libuv's handle and one connect
 * request, without a net.Socket, its stream state, its events and the read it starts once
 * connected. A ping needs none of those, and at 1,000 pings a second they were most of what a
 * ping cost in JavaScript (see README, "Performance"). The kernel views ask it as they ask a
 * net.Socket (src/kernel/sockets.ts): through the handle.
 */
export class BareHandshake<Owner = unknown> implements BareSocket {
  /** Named as net.Socket names it, so what asks a socket's handle asks either. Null once closed. */
  _handle: TcpHandle | null;
  connecting = true;

  constructor(
    handle: TcpHandle,
    /** Whoever opened it (the ping's attempt), for a listener shared by all handshakes; cleared by the owner when done with it. */
    public owner: Owner | undefined,
    private readonly onEnd: HandshakeEnd<Owner>,
  ) {
    this._handle = handle;
  }

  get destroyed(): boolean {
    return this._handle === null;
  }

  /** The source port the kernel bound at connect(2), while the handle is open. */
  get localPort(): number | undefined {
    const out: { port?: number } = {};
    return this._handle?.getsockname(out) === 0 && out.port ? out.port : undefined;
  }

  /**
   * Closes it without TIME_WAIT: an RST once connected (as node:net's resetAndDestroy), the
   * half-open attempt simply dropped while still connecting. A second call does nothing.
   */
  discard(): void {
    const handle = this._handle;
    if (!handle) return;
    this._handle = null;
    if (this.connecting || handle.reset() !== 0) handle.close();
  }

  /** libuv's callback; a handshake discarded before it completes hears of nothing more (its status is ECANCELED). */
  static complete(this: void, status: number, _handle: TcpHandle, request: ConnectRequest): void {
    const handshake = request.handshake;
    if (!handshake._handle) return;
    handshake.connecting = false;
    handshake.onEnd(handshake, status);
  }
}

/**
 * Opens a handshake to `address:port` (an IP address) and issues its connect(2) now, or returns
 * undefined when no bare handle can be had (no binding, a name to look up): the caller goes
 * through net.Socket then. `onEnd` hears how it ended, in a later turn; a connect the kernel
 * refused at once (no route, no source address) is closed here and heard before this returns.
 * IPv6 gets IPV6_RECVERR before connect(2) when `receiveErrors6`, for the reason
 * connectWithErrorQueue gives (src/kernel/sockets.ts).
 */
export function openBareHandshake<Owner>(
  address: string,
  port: number,
  owner: Owner,
  onEnd: HandshakeEnd<Owner>,
  receiveErrors6: boolean,
): BareHandshake<Owner> | undefined {
  const family = isIP(address);
  if (!binding || family === 0) return undefined;
  const fd = family === 6 && receiveErrors6 ? openTcp6ReceivingErrors() : undefined;
  if (family === 6 && receiveErrors6 && fd === undefined) return undefined;
  const handle = new binding.TCP(binding.constants.SOCKET);
  if (fd !== undefined && handle.open(fd) !== 0) {
    handle.close();
    closeFd(fd);
    return undefined;
  }
  const handshake = new BareHandshake(handle, owner, onEnd);
  const request = new binding.TCPConnectWrap();
  request.oncomplete = BareHandshake.complete;
  request.handshake = handshake as BareHandshake<unknown>;
  const status = family === 4 ? handle.connect(request, address, port) : handle.connect6(request, address, port);
  if (status !== 0) {
    handshake.discard();
    onEnd(handshake, status);
  }
  return handshake;
}
