import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { supportedArchitectures } from './linux.js';

/** The libc calls the kernel views need, bound once through koffi. */
export interface Libc {
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: Buffer): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  recvmsg(fd: number, message: unknown, flags: number): number;
  ioctl(fd: number, request: number, value: Buffer): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  /** clock_gettime into a struct timespec (two 64-bit integers). */
  clockGettime(clock: number, timespec: Buffer): number;
  close(fd: number): number;
  /** errno of the last call that failed. */
  errno(): number;
  /** Native memory that stays put (recvmsg needs pointers inside its msghdr), seen through a DataView. */
  scratch(size: number): Scratch;
}

export interface Scratch {
  readonly pointer: unknown;
  /** Its address, for pointers written into the memory itself. */
  readonly address: bigint;
  readonly view: DataView;
  readonly bytes: Uint8Array;
}

let loaded: { libc: Libc } | { reason: string } | undefined;

/**
 * koffi (a prebuilt FFI in its npm package: no compiler at install) on glibc or musl. Loaded on
 * first use; where it cannot be (another OS, an architecture we have not checked the numbers for,
 * no prebuilt binary), everything that needs it falls back to userland timing and says why.
 */
function load(): { libc: Libc } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `TCP_INFO and socket error queues are Linux's; this is ${process.platform}` };
  if (!supportedArchitectures.includes(process.arch)) return { reason: `socket constants not checked for ${process.arch}` };
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const c = koffi.load(null);
    const getsockopt = c.func('int getsockopt(int fd, int level, int name, _Inout_ void *value, _Inout_ void *length)');
    const setsockopt = c.func('int setsockopt(int fd, int level, int name, void *value, uint32_t length)');
    const recvmsg = c.func('intptr_t recvmsg(int fd, void *message, int flags)');
    const ioctl = c.func('int ioctl(int fd, unsigned long request, _Inout_ void *value)');
    const socket = c.func('int socket(int domain, int type, int protocol)');
    const close = c.func('int close(int fd)');
    const bind = c.func('int bind(int fd, void *address, uint32_t length)');
    const clockGettime = c.func('int clock_gettime(int clock, void *timespec)');
    return {
      libc: {
        getsockopt,
        setsockopt,
        recvmsg: (fd, message, flags) => Number(recvmsg(fd, message, flags)),
        ioctl,
        socket,
        bind,
        clockGettime,
        close,
        errno: () => koffi.errno(),
        scratch: (size) => {
          const pointer = koffi.alloc('uint8_t', size);
          const buffer = koffi.view(pointer, size);
          return { pointer, address: BigInt(koffi.address(pointer)), view: new DataView(buffer), bytes: new Uint8Array(buffer) };
        },
      },
    };
  } catch (error) {
    return { reason: `koffi did not load: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The bound libc, or undefined where the kernel views are unavailable. */
export function libc(): Libc | undefined {
  loaded ??= load();
  return 'libc' in loaded ? loaded.libc : undefined;
}

/** Why the kernel views are unavailable here, or undefined when they work. */
export function libcUnavailable(): string | undefined {
  loaded ??= load();
  return 'reason' in loaded ? loaded.reason : undefined;
}
