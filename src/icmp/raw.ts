import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import type { OpenRawSocket, RawSocket } from './capture.js';

interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily: number; bufferSize: number }): RawSocket & {
    setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  };
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: { SOL_SOCKET: number };
  SocketOption: { SO_RCVBUF: number };
}

const SOL_RAW = 255;
const ICMP_FILTER = 1;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;
/** Asked for, not guaranteed: the kernel caps it at net.core.rmem_max (about 200 errors by default). */
const RECEIVE_BUFFER_BYTES = 1 << 20;

/**
 * Kernel-side filters, so echo replies and neighbour discovery never wake the process: a set bit
 * blocks a type. ICMPv4 passes 3, 11, 12; ICMPv6 passes 1 to 4 (icmp6_filt is eight host-order words).
 */
export const icmpFilter4 = ~((1 << 3) | (1 << 11) | (1 << 12)) >>> 0;
export function icmpFilter6(): Buffer {
  const filter = Buffer.alloc(32, 0xff);
  const word0 = ~0b11110 >>> 0;
  if (endianness() === 'LE') filter.writeUInt32LE(word0, 0);
  else filter.writeUInt32BE(word0, 0);
  return filter;
}

/** The raw-socket addon is optional: without a C++ compiler at install time it is absent. */
export class AddonMissingError extends Error {
  override name = 'AddonMissingError';
}

function loadAddon(): RawSocketModule {
  try {
    return createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_DLOPEN_FAILED') throw error;
    const why = code === 'MODULE_NOT_FOUND' ? 'is not installed' : 'was built for another Node.js (run npm rebuild)';
    throw new AddonMissingError(`the raw-socket addon ${why}; npm builds it at install time when a C++ compiler is present`, {
      cause: error,
    });
  }
}

/** The real factory, on the raw-socket addon (loaded only when capture is wanted). */
export const openIcmpSocket: OpenRawSocket = (family) => {
  const raw = loadAddon();
  const socket = raw.createSocket({
    protocol: family === 4 ? 1 : IPPROTO_ICMPV6,
    addressFamily: family === 4 ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
    // One message at a time: ICMP errors are at most 576 (v4) or 1280 (v6) bytes.
    bufferSize: 4096,
  });
  try {
    if (family === 4) socket.setOption(SOL_RAW, ICMP_FILTER, icmpFilter4);
    else socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, icmpFilter6(), 32);
    socket.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_RCVBUF, RECEIVE_BUFFER_BYTES);
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
};
