import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TcpState } from '../../src/kernel/linux.js';
import type { TcpInfo } from '../../src/kernel/tcp-info.js';
import { boundByKernel, type DeadlineView, judgeDeadline, kernelHandshake } from '../../src/probe/kernel-rules.js';
import { recordedTcpInfo } from '../kernel/recorded.js';

const handshake = recordedTcpInfo('handshake'); // rtt 94 µs, no retransmission
const afterDrop = recordedTcpInfo('handshake-after-dropped-syn'); // one SYN retransmitted, TS echo sample 1000 µs
const synSent = recordedTcpInfo('syn-sent-after-1.5s');
const replyWaiting = recordedTcpInfo('reply-waiting-300ms'); // request sent 308 ms ago, reply came 296 ms ago
const closed: TcpInfo = { ...handshake, state: TcpState.CLOSE };
const peerClosed: TcpInfo = { ...handshake, state: TcpState.CLOSE_WAIT };

describe('the handshake as the kernel timed it', () => {
  test('without a retransmission: the first RTT sample, to the microsecond, however late we ask', () => {
    assert.deepEqual(kernelHandshake(handshake, 0.3), { seconds: 94e-6, synRetransmits: 0 });
  });
  test('after a retransmitted SYN: not the RTT sample (1 ms, a timestamp echo) but when the SYN-ACK came', () => {
    const hs = kernelHandshake({ ...afterDrop, lastAckRecvMs: 8 }, 1.05);
    assert.equal(hs.synRetransmits, 1);
    assert.ok(Math.abs(hs.seconds - 1.042) < 1e-9);
  });
});

describe('a deadline judged from the kernel (timeout 100 ms)', () => {
  const at = (over: Partial<DeadlineView>): DeadlineView => ({
    phase: 'connecting',
    info: handshake,
    bytesWaiting: undefined,
    elapsedSeconds: 0.4,
    budgetSeconds: 0.1,
    ...over,
  });
  const table: [string, DeadlineView, ReturnType<typeof judgeDeadline>][] = [
    ['no kernel view: a timeout, as userland says', at({ info: undefined }), { kind: 'timeout' }],
    ['still SYN_SENT: a timeout, with the SYNs retransmitted so far', at({ info: synSent }), { kind: 'timeout', synRetransmits: 1 }],
    [
      'handshake done in 94 µs, our timer 300 ms late: not a loss',
      at({}),
      { kind: 'handshake', handshake: { seconds: 94e-6, synRetransmits: 0 } },
    ],
    [
      'handshake done only after a retransmission, a second in: a timeout',
      at({ info: afterDrop, elapsedSeconds: 1.2 }),
      { kind: 'timeout', synRetransmits: 1 },
    ],
    ['the connect was refused or rejected meanwhile: libuv reports it', at({ info: closed }), { kind: 'ended' }],
    [
      'awaiting the reply, sent 308 ms ago and answered 296 ms ago: 12 ms, it counts',
      at({ phase: 'awaiting-reply', info: replyWaiting, bytesWaiting: 9 }),
      { kind: 'reply', rttSeconds: 0.012 },
    ],
    [
      'a reply that came 150 ms after its request: a timeout',
      at({ phase: 'awaiting-reply', info: { ...replyWaiting, lastDataSentMs: 446 }, bytesWaiting: 9 }),
      { kind: 'timeout' },
    ],
    ['nothing waiting in the socket: a timeout', at({ phase: 'awaiting-reply', info: replyWaiting, bytesWaiting: 0 }), { kind: 'timeout' }],
    ['the peer closed: libuv reports it', at({ phase: 'awaiting-reply', info: peerClosed, bytesWaiting: 0 }), { kind: 'ended' }],
  ];
  for (const [name, view, expected] of table) {
    test(name, () => {
      const verdict = judgeDeadline(view);
      if (verdict.kind === 'reply' && expected.kind === 'reply') assert.ok(Math.abs(verdict.rttSeconds - expected.rttSeconds) < 1e-9);
      else assert.deepEqual(verdict, expected);
    });
  }
});

describe('userland figures bounded by the kernel', () => {
  const table: [number, number, { seconds: number; stalledSeconds?: number }][] = [
    [0.0004, 0.0001, { seconds: 0.0004 }], // the loop's usual 0.3 ms: kept, not called a stall
    [0.019, 0.0001, { seconds: 0.019 }], // within a jiffy's slack
    [0.3, 0.02, { seconds: 0.02, stalledSeconds: 0.28 }], // SIGSTOP: the kernel's figure, marked
  ];
  for (const [userland, kernel, expected] of table) {
    test(`userland ${userland} s, kernel ${kernel} s`, () => {
      const bounded = boundByKernel(userland, kernel);
      assert.equal(bounded.seconds, expected.seconds);
      if (expected.stalledSeconds === undefined) assert.equal(bounded.stalledSeconds, undefined);
      else assert.ok(Math.abs((bounded.stalledSeconds ?? 0) - expected.stalledSeconds) < 1e-9);
    });
  }
});
