import { isIP } from 'node:net';
import { constants } from 'node:os';
import { closeFd, openTcp6ReceivingErrors } from './sockopt.js';

/**
 * node:net's own TCP handle (libuv's uv_tcp_t), the object a net.Socket keeps in `_handle`. Only
 * what a handshake needs (connect, the source port, and the two ways to close) and what echo mode's
 * one line each way needs (a write, reads into a buffer of ours).
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
  /** Writes now what the kernel takes at once, the rest later (then `oncomplete` hears how it went). Non-zero: failed at once. */
  writeLatin1String(request: WriteRequest, text: string): number;
  /** Reads go into `buffer`, each told to `onread` (its length, or an error, in the stream state). */
  useUserBuffer(buffer: Uint8Array): void;
  readStart(): number;
  onread: ((this: TcpHandle) => void) | undefined;
  /** The connection reading from it, for the read callback shared by all. */
  connection?: BareHandshake<unknown>;
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

/** libuv's write request; `oncomplete` is called (with `this` the request) only when the write did not finish at once. */
interface WriteRequest {
  handle: TcpHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  connection: BareHandshake<unknown>;
}

/** What node:net reads and writes its streams through (`process.binding('stream_wrap')`). */
interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  /** Filled in by each read: its length, or a negative errno. */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
}

/** One of Node's own bindings (`process.binding(name)`), its shape not yet checked; undefined where it cannot be had. */
function nodeBinding<T>(name: string): Partial<T> | undefined {
  try {
    return (process as unknown as { binding?: (name: string) => unknown }).binding?.(name) as Partial<T> | undefined;
  } catch {
    return undefined;
  }
}

/**
 * The binding node:net itself connects through (`process.binding('tcp_wrap')`, on Node's list of
 * bindings still given out; 20, 22 and 24 have the same shape). Undefined where it is gone or
 * changed: handshakes then go through net.Socket as before.
 */
function tcpWrap(): TcpWrapBinding | undefined {
  const { TCP, TCPConnectWrap, constants } = nodeBinding<TcpWrapBinding>('tcp_wrap') ?? {};
  if (typeof TCP !== 'function' || typeof TCPConnectWrap !== 'function' || typeof constants?.SOCKET !== 'number') return undefined;
  const methods = ['open', 'connect', 'connect6', 'getsockname', 'reset', 'close'] as const;
  if (!methods.every((name) => typeof TCP.prototype[name] === 'function')) return undefined;
  return { TCP, TCPConnectWrap, constants: { SOCKET: constants.SOCKET } };
}

const binding = tcpWrap();

/** node:net's stream binding (`process.binding('stream_wrap')`), as tcpWrap; undefined where it is gone or changed (echo mode then reads through net.Socket). */
function streamWrap(): StreamWrapBinding | undefined {
  const { WriteWrap, streamBaseState, kReadBytesOrError } = nodeBinding<StreamWrapBinding>('stream_wrap') ?? {};
  if (typeof WriteWrap !== 'function' || !(streamBaseState instanceof Int32Array) || typeof kReadBytesOrError !== 'number')
    return undefined;
  const methods = ['writeLatin1String', 'useUserBuffer', 'readStart'] as const;
  if (!binding || !methods.every((name) => typeof (binding.TCP.prototype as TcpHandle)[name] === 'function')) return undefined;
  return { WriteWrap, streamBaseState, kReadBytesOrError };
}

const streams = streamWrap();

const { EBADF } = constants.errno;

/** libuv's end of stream: the peer closed its side. */
export const UV_EOF = -4095;

/**
 * Where every bare connection reads to, one buffer per thread: each read is told at once, its
 * bytes taken as text, before the next read can come (as echo mode's net.Socket reads, src/probe/echo.ts).
 */
const readBuffer = Buffer.allocUnsafe(4096);

/** False where Node's handles cannot be had: connect mode then handshakes on net.Socket. */
export const bareHandlesAvailable = binding !== undefined;

/** False where they cannot be read and written: echo mode then pings through net.Socket. */
export const bareReadsAvailable = streams !== undefined;

/** What the kernel views read of a BareHandshake, whoever owns it: the handle, as they read a net.Socket's. */
export interface BareSocket {
  readonly _handle: { readonly fd: number } | null;
  readonly localPort: number | undefined;
  readonly remoteFamily: 'IPv4' | 'IPv6';
}

/** Told once how the handshake ended: 0 connected, else the negative errno (as node:net's errors carry it). */
export type HandshakeEnd<Owner> = (handshake: BareHandshake<Owner>, status: number) => void;

/**
 * Told what a connection that reads (BareHandshake.read) got: `text`, the bytes as latin1 text,
 * with `at` when the read came (performance.now(), taken first); or no text and the negative
 * errno that ended it: UV_EOF when the peer closed its side, or a failed read or write (`syscall`).
 */
export type BareRead<Owner> = (
  connection: BareHandshake<Owner>,
  text: string | undefined,
  status: number,
  at: number,
  syscall: 'read' | 'write',
) => void;

/**
 * A TCP connection on libuv's handle: one connect request and, for a connection that reads (echo
 * mode's, given `onRead`), a write and reads into a shared buffer; a handshake alone for connect
 * mode. Without a net.Socket, its stream state and its events: a ping needs none of those, and at
 * 1,000 pings a second they were most of what a ping cost in JavaScript and most of what outlived
 * the young generation (see README, "Performance"). The kernel views ask it as they ask a
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
    readonly remoteFamily: 'IPv4' | 'IPv6',
    /** Where its reads go once `read` starts them (echo mode); none for a handshake alone. */
    private readonly onRead?: BareRead<Owner>,
  ) {
    this._handle = handle;
  }

  get destroyed(): boolean {
    return this._handle === null;
  }

  /** Whether its reads have somewhere to go (`read` can start them): a connection opened for echo mode. */
  get reads(): boolean {
    return this.onRead !== undefined;
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

  /**
   * Once connected: reads from now on go to `onRead`, into the shared buffer (libuv reads in its
   * poll phase, so nothing is missed between the handshake and this). 0, or the negative errno.
   */
  read(): number {
    const handle = this._handle;
    if (!handle || !this.onRead || !streams) return -EBADF;
    handle.connection = this as BareHandshake<unknown>;
    handle.onread = onHandleRead;
    handle.useUserBuffer(readBuffer);
    return handle.readStart();
  }

  /**
   * Writes `text` (latin1): 0 once the kernel has it or will have it (a failure then is told to
   * `onRead` as the write's), or the negative errno of a write that failed at once.
   */
  write(text: string): number {
    const handle = this._handle;
    if (!handle || !streams) return -EBADF;
    const request = new streams.WriteWrap();
    request.handle = handle;
    request.oncomplete = onWriteComplete;
    request.connection = this as BareHandshake<unknown>;
    return handle.writeLatin1String(request, text);
  }

  /** What a read brought: `length` bytes in the shared buffer, or the negative errno that ended the connection. */
  readDone(length: number, at: number): void {
    if (!this._handle) return;
    if (length > 0) this.onRead?.(this, readBuffer.toString('latin1', 0, length), 0, at, 'read');
    else if (length < 0) this.onRead?.(this, undefined, length, at, 'read');
  }

  /** A write that went on after writeLatin1String returned has ended with `status`: only a failure is news. */
  writeDone(status: number): void {
    if (status < 0 && this._handle) this.onRead?.(this, undefined, status, performance.now(), 'write');
  }

  /** libuv's callback; a handshake discarded before it completes hears of nothing more (its status is ECANCELED). */
  static complete(this: void, status: number, _handle: TcpHandle, request: ConnectRequest): void {
    const handshake = request.handshake;
    if (!handshake._handle) return;
    handshake.connecting = false;
    handshake.onEnd(handshake, status);
  }
}

/** libuv's read callback, shared by every handle (`this` is the handle): the length first, before any work on the bytes. */
function onHandleRead(this: TcpHandle): void {
  const at = performance.now();
  if (streams) this.connection?.readDone(streams.streamBaseState[streams.kReadBytesOrError] as number, at);
}

/** libuv's callback for a write that did not finish at once (`this` is its request). */
function onWriteComplete(this: WriteRequest, status: number): void {
  this.connection.writeDone(status);
}

/**
 * Opens a handshake to `address:port` (an IP address) and issues its connect(2) now, or returns
 * undefined when no bare handle can be had (no binding, a name to look up): the caller goes
 * through net.Socket then. `onEnd` hears how it ended, in a later turn; a connect the kernel
 * refused at once (no route, no source address) is closed here and heard before this returns.
 * IPv6 gets IPV6_RECVERR before connect(2) when `receiveErrors6`, for the reason
 * connectWithErrorQueue gives (src/kernel/sockets.ts). With `onRead`, the connection can also
 * write and read (echo mode; undefined where the stream binding cannot be had).
 */
export function openBareHandshake<Owner>(
  address: string,
  port: number,
  owner: Owner,
  onEnd: HandshakeEnd<Owner>,
  receiveErrors6: boolean,
  onRead?: BareRead<Owner>,
): BareHandshake<Owner> | undefined {
  const family = isIP(address);
  if (!binding || family === 0 || (onRead && !streams)) return undefined;
  const fd = family === 6 && receiveErrors6 ? openTcp6ReceivingErrors() : undefined;
  if (family === 6 && receiveErrors6 && fd === undefined) return undefined;
  const handle = new binding.TCP(binding.constants.SOCKET);
  if (fd !== undefined && handle.open(fd) !== 0) {
    handle.close();
    closeFd(fd);
    return undefined;
  }
  const handshake = new BareHandshake(handle, owner, onEnd, family === 4 ? 'IPv4' : 'IPv6', onRead);
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
