import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, createServer } from 'node:net';
import { endianness } from 'node:os';
import { describe, test } from 'node:test';
import type { IcmpReport, PingResult } from '../../src/domain/ping.js';
import { IcmpCapture, type IpFamily, type OpenRawSocket, type RawSocket } from '../../src/icmp/capture.js';
import { icmpFilter4, icmpFilter6 } from '../../src/icmp/raw.js';
import { setUpCapture } from '../../src/icmp/setup.js';
import { connectProbe } from '../../src/probe/connect.js';
import type { IcmpWatch } from '../../src/probe/types.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recorded } from './packets.js';

class FakeRawSocket extends EventEmitter implements RawSocket {
  closed = false;
  close() {
    this.closed = true;
  }
}

function fakeFactory(fail?: Partial<Record<IpFamily, string>>) {
  const sockets = new Map<IpFamily, FakeRawSocket>();
  const open: OpenRawSocket = (family) => {
    const message = fail?.[family];
    if (message) throw new Error(message);
    const socket = new FakeRawSocket();
    sockets.set(family, socket);
    return socket;
  };
  return { open, sockets };
}

// The recorded v4 host-unreachable quotes 10.77.2.10:11000 from this source port.
const quotedSourcePort = recorded('v4-host-unreachable').readUInt16BE(48);

describe('IcmpCapture on recorded packets', () => {
  test('the copy matched to a ping in flight is handed over when the ping ends; another copy is a duplicate', () => {
    const { open, sockets } = fakeFactory();
    const capture = new IcmpCapture(new FakeClock());
    assert.deepEqual(capture.open(open), []);
    const watch = capture.watch({ host: '10.77.2.10', port: 11000, seq: 1 });
    watch.bound('10.77.2.10', 11000, quotedSourcePort);
    sockets.get(4)?.emit('message', recorded('v4-host-unreachable'), '10.77.1.1');
    assert.deepEqual(watch.end(), { family: 4, type: 3, code: 1, reporter: '10.77.1.1' });
    // The same error again (a retransmitted SYN's) is not counted twice.
    sockets.get(4)?.emit('message', recorded('v4-host-unreachable'), '10.77.1.1');
    assert.equal(capture.stats.duplicate, 1);
    capture.stop();
    assert.ok(sockets.get(4)?.closed && sockets.get(6)?.closed);
  });

  test("no ping waits for a copy; one that comes after the ping ended goes to the ping's late listener", () => {
    const capture = new IcmpCapture(new FakeClock());
    capture.open(fakeFactory().open);
    const late: [number, IcmpReport, string][] = [];
    const onUnverifiedIcmp = (seq: number, report: IcmpReport, reason: string) => late.push([seq, report, reason]);
    const watch: IcmpWatch = capture.watch({ host: 'target.example', port: 11000, seq: 7, onUnverifiedIcmp });
    watch.bound('10.77.2.10', 11000, quotedSourcePort);
    assert.equal(watch.end(), undefined);
    capture.receive(4, recorded('v4-host-unreachable'), '10.77.1.1');
    assert.deepEqual(late, [[7, { family: 4, type: 3, code: 1, reporter: '10.77.1.1' }, 'late']]);
    capture.receive(6, recorded('v6-host-unreachable'), 'fd77:1::1'); // never pinged: ignored
    assert.equal(capture.stats.unknown, 1);
    capture.stop();
  });

  test('copies of the error a verdict already carries (from the socket) are duplicates, not late', () => {
    const capture = new IcmpCapture(new FakeClock());
    capture.open(fakeFactory().open);
    const late: IcmpReport[] = [];
    const watch = capture.watch({ host: '10.77.2.10', port: 11000, seq: 1, onUnverifiedIcmp: (_seq, report) => late.push(report) });
    watch.bound('10.77.2.10', 11000, quotedSourcePort);
    assert.equal(watch.end({ family: 4, type: 3, code: 1, reporter: '10.77.1.1' }), undefined);
    capture.receive(4, recorded('v4-host-unreachable'), '10.77.1.1');
    assert.deepEqual(late, []);
    assert.equal(capture.stats.duplicate, 1);
    capture.stop();
  });
});

describe('icmp.capture modes', () => {
  const clock = new FakeClock();
  const denied = { 4: 'Operation not permitted', 6: 'Operation not permitted' };

  test('off opens nothing; auto without the privilege warns once and goes on; on refuses, saying how to grant it', () => {
    const off = fakeFactory();
    assert.equal(setUpCapture('off', off.open, clock).capture, undefined);
    assert.equal(off.sockets.size, 0);
    const auto = setUpCapture('auto', fakeFactory(denied).open, clock);
    assert.equal(auto.capture, undefined);
    assert.equal(auto.warnings.length, 1);
    assert.match(auto.warnings[0] ?? '', /no permission to open raw sockets \(needs CAP_NET_RAW\)[\s\S]*AmbientCapabilities=CAP_NET_RAW/);
    assert.equal(auto.off, 'no permission to open raw sockets (needs CAP_NET_RAW)');
    assert.throws(
      () => setUpCapture('on', fakeFactory(denied).open, clock, 'x.yaml: icmp.capture'),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_ICMP_CAPTURE' &&
        /x\.yaml: icmp\.capture is "on"/.test(e.message) &&
        /AmbientCapabilities=CAP_NET_RAW/.test(e.message) &&
        /NET_RAW/.test(e.message) &&
        /no-new-privileges/.test(e.message),
    );
  });

  test('no ICMPv6 socket (IPv6 disabled) leaves IPv4 capture running, with a warning', () => {
    const setup = setUpCapture('on', fakeFactory({ 6: 'Address family not supported by protocol' }).open, clock);
    assert.deepEqual(setup.capture?.families, [4]);
    assert.match(setup.warnings[0] ?? '', /ICMPv6 capture disabled/);
    setup.capture?.stop();
  });

  test('the kernel filters let only error types through', () => {
    const passes4 = [...Array(32).keys()].filter((t) => (icmpFilter4 & (1 << t)) === 0);
    assert.deepEqual(passes4, [3, 11, 12]);
    const filter6 = icmpFilter6();
    const word0 = endianness() === 'LE' ? filter6.readUInt32LE(0) : filter6.readUInt32BE(0);
    assert.deepEqual(
      [...Array(32).keys()].filter((t) => (word0 & (1 << t)) === 0),
      [1, 2, 3, 4],
    );
    assert.ok(filter6.subarray(4).every((b) => b === 0xff));
  });
});

describe('probes tell the capture their source port, which it can ask while connecting', () => {
  async function refused(report: IcmpReport) {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve())); // now a closed port: refused
    const bound: [string, number, number | undefined][] = [];
    const apart: [IcmpReport, string][] = [];
    const icmp = {
      watch: () => ({
        // The port is asked for as an ICMP error in flight would: once connect(2) has been issued.
        bound: (a: string, p: number, l: number | (() => number | undefined)) => {
          const entry: [string, number, number | undefined] = [a, p, undefined];
          bound.push(entry);
          queueMicrotask(() => {
            entry[2] = typeof l === 'number' ? l : l();
          });
        },
        pin: () => {},
        end: () => report,
      }),
    };
    const result: PingResult = await connectProbe(
      { host: '127.0.0.1', port, seq: 1, timeoutMs: 1000, onUnverifiedIcmp: (_seq, r, why) => apart.push([r, why]) },
      { clock: systemClock, connect, icmp },
    );
    assert.equal(bound.length, 1);
    assert.deepEqual(bound[0]?.slice(0, 2), ['127.0.0.1', port]);
    assert.ok((bound[0]?.[2] ?? 0) > 0);
    assert.ok(!result.ok);
    assert.equal(result.error.errno, 'ECONNREFUSED');
    return { loss: result.error, apart };
  }

  test("a captured copy that agrees with the socket's errno explains the loss", async () => {
    const report: IcmpReport = { family: 4, type: 3, code: 3, reporter: '192.0.2.1' }; // port unreachable: ECONNREFUSED
    const { loss, apart } = await refused(report);
    assert.equal(loss.reason, 'refused');
    assert.deepEqual(loss.icmp, report);
    assert.deepEqual(apart, []);
  });

  test("one that does not (a forger's guess) changes nothing and is counted apart", async () => {
    const report: IcmpReport = { family: 4, type: 3, code: 13, reporter: '192.0.2.1' }; // admin prohibited: EHOSTUNREACH
    const { loss, apart } = await refused(report);
    assert.equal(loss.reason, 'refused');
    assert.equal(loss.icmp, undefined);
    assert.deepEqual(apart, [[report, 'unconfirmed']]);
  });
});
