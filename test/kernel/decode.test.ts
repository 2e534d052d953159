import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeErrorMessage, decodeSockaddr } from '../../src/kernel/error-queue.js';
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, TcpState } from '../../src/kernel/linux.js';
import { decodeTcpInfo, TCP_INFO_MIN_BYTES } from '../../src/kernel/tcp-info.js';
import { errorMessageBytes, recordedQueuedError, recordedTcpInfo, tcpInfoBytes } from './recorded.js';

describe('TCP_INFO as the kernel wrote it (recorded in the lab)', () => {
  const table: [string, Partial<ReturnType<typeof recordedTcpInfo>>][] = [
    ['handshake', { state: TcpState.ESTABLISHED, totalRetrans: 0, rttUs: 94, segsOut: 2, segsIn: 1 }],
    // One SYN dropped by the router: the kernel counts it, and its RTT sample is the 1 ms-granular timestamp echo.
    ['handshake-after-dropped-syn', { state: TcpState.ESTABLISHED, totalRetrans: 1, totalRto: 1, rttUs: 1000 }],
    ['syn-sent-after-1.5s', { state: TcpState.SYN_SENT, totalRetrans: 1, retransmits: 1, rttUs: 0, minRttUs: 0xffffffff }],
    ['reply-waiting-300ms', { state: TcpState.ESTABLISHED, lastDataRecvMs: 296, totalRetrans: 0 }],
  ];
  for (const [name, expected] of table) {
    test(name, () => {
      const info = recordedTcpInfo(name);
      for (const [key, value] of Object.entries(expected)) assert.equal(info[key as keyof typeof info], value, `${name}: ${key}`);
    });
  }

  test('fields past the length the kernel wrote are undefined, and too little is nothing', () => {
    const bytes = tcpInfoBytes('handshake');
    assert.equal(decodeTcpInfo(bytes, 232)?.totalRto, undefined); // a 6.1 kernel stops at 232 bytes
    assert.equal(decodeTcpInfo(bytes, 232)?.totalRetrans, 0);
    assert.equal(decodeTcpInfo(bytes, TCP_INFO_MIN_BYTES - 1), undefined);
    assert.equal(decodeTcpInfo(bytes.subarray(0, 50), 104), undefined);
  });
});

describe('error-queue entries as the kernel queued them (recorded in the lab)', () => {
  const table: [string, Partial<ReturnType<typeof recordedQueuedError>>][] = [
    ['v4-admin-prohibited', { origin: SO_EE_ORIGIN_ICMP, type: 3, code: 13, errno: 113, offender: '10.77.1.1', destination: '10.77.2.11' }],
    ['v4-ttl-exceeded', { origin: SO_EE_ORIGIN_ICMP, type: 11, code: 0, errno: 113, offender: '10.77.1.1', destinationPort: 11000 }],
    ['v6-admin-prohibited', { origin: SO_EE_ORIGIN_ICMP6, type: 1, code: 1, errno: 13, offender: 'fd77:1::1', destination: 'fd77:2::11' }],
    ['v6-port-unreachable', { origin: SO_EE_ORIGIN_ICMP6, type: 1, code: 4, errno: 111, offender: 'fd77:1::1', destination: 'fd77:2::12' }],
  ];
  for (const [name, expected] of table) {
    test(name, () => {
      const entry = recordedQueuedError(name);
      for (const [key, value] of Object.entries(expected)) assert.equal(entry[key as keyof typeof entry], value, `${name}: ${key}`);
      assert.ok(entry.quotedSourcePort && entry.quotedSourcePort > 1024, 'the quoted TCP header carries our source port');
      assert.equal(typeof entry.quotedSeq, 'number');
    });
  }

  test('no IP_RECVERR message, or a truncated one, is nothing; a short name or payload leaves those fields out', () => {
    const m = errorMessageBytes('v4-admin-prohibited');
    assert.equal(decodeErrorMessage(new Uint8Array(0), m.name, m.data), undefined);
    assert.equal(decodeErrorMessage(m.control.subarray(0, 20), m.name, m.data), undefined);
    const other = Buffer.from(m.control);
    other.writeInt32LE(99, 12); // another control message type
    assert.equal(decodeErrorMessage(other, m.name, m.data), undefined);
    const bare = decodeErrorMessage(m.control, new Uint8Array(0), new Uint8Array(0));
    assert.equal(bare?.type, 3);
    assert.equal(bare?.destination, undefined);
    assert.equal(bare?.quotedSeq, undefined);
  });

  test('a software receive stamp before the error (SCM_TIMESTAMPING) is its arrival time; a zero stamp is none', () => {
    const m = errorMessageBytes('v4-ttl-exceeded');
    const stamp = (seconds: bigint, nanoseconds: bigint) => {
      // struct cmsghdr (len, level SOL_SOCKET, type SCM_TIMESTAMPING) and struct scm_timestamping: ts[0] software, ts[1], ts[2].
      const c = Buffer.alloc(64);
      c.writeBigUInt64LE(64n, 0);
      c.writeInt32LE(1, 8);
      c.writeInt32LE(37, 12);
      c.writeBigInt64LE(seconds, 16);
      c.writeBigInt64LE(nanoseconds, 24);
      return c;
    };
    const stamped = decodeErrorMessage(Buffer.concat([stamp(1_700_000_000n, 123_456_789n), m.control]), m.name, m.data);
    assert.equal(stamped?.receivedAtNs, 1_700_000_000_123_456_789n);
    assert.equal(stamped?.type, 11);
    const unstamped = decodeErrorMessage(Buffer.concat([stamp(0n, 0n), m.control]), m.name, m.data);
    assert.equal(unstamped?.type, 11);
    assert.equal(unstamped?.receivedAtNs, undefined, 'an error that came in unstamped has no time, not the time it was read');
    assert.equal(recordedQueuedError('v4-ttl-exceeded').receivedAtNs, undefined);
  });

  test('sockaddr decoding: families, lengths', () => {
    const v4 = Buffer.from('02002af80a4d020b0000000000000000', 'hex');
    assert.deepEqual(decodeSockaddr(v4, 16), { address: '10.77.2.11', port: 11000 });
    assert.deepEqual(decodeSockaddr(v4, 4), {});
    assert.deepEqual(decodeSockaddr(Buffer.from('0100', 'hex'), 2), {});
  });
});
