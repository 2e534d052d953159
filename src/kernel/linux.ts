/**
 * Numbers from the Linux headers, as they are on the 64-bit architectures whose socket constants
 * follow asm-generic (x86_64, arm64, riscv64). MIPS, SPARC, PA-RISC and PowerPC number some of
 * them differently, so the bindings refuse to load there (see libc.ts) rather than guess.
 */
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
/** SO_TIMESTAMPING_OLD; its control message, struct scm_timestamping, has the same number. */
export const SO_TIMESTAMPING = 37;
export const SCM_TIMESTAMPING = 37;
/** Software receive stamps, and reporting them: a packet the kernel did not stamp on arrival then carries none. */
export const SOF_TIMESTAMPING_RX_SOFTWARE = 1 << 3;
export const SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_IPV6 = 41;
export const IP_TTL = 2;
export const IP_RECVERR = 11;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_RECVERR = 25;
export const TCP_INFO = 11;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_ERRQUEUE = 0x2000;
export const CLOCK_REALTIME = 0;
/** ioctl: bytes waiting in the receive queue (== FIONREAD). */
export const SIOCINQ = 0x541b;
/** sock_extended_err.ee_origin of an ICMP / ICMPv6 error. */
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ICMP6 = 3;

/** The architectures whose layouts and numbers above are right. */
export const supportedArchitectures: readonly string[] = ['x64', 'arm64', 'riscv64'];

/** tcpi_state (include/net/tcp_states.h). */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;
