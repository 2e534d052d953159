import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PingTable } from '../../src/icmp/match.js';
import type { IcmpError } from '../../src/icmp/parse.js';

const error = (destination: string, destinationPort: number, sourcePort: number, code = 1): IcmpError => ({
  family: destination.includes(':') ? 6 : 4,
  type: destination.includes(':') ? 1 : 3,
  code,
  reporter: '10.77.1.1',
  quoted: { source: '10.77.1.2', destination, destinationPort, sourcePort },
});

describe('PingTable', () => {
  test('an error for a ping in flight goes to that ping, once, however many SYNs drew one', () => {
    const table = new PingTable();
    const ping = table.open({ host: 'a.example', port: 11000, seq: 1 });
    table.bind(ping, '10.77.2.10', 11000, 40000);
    assert.equal(table.attribute(error('10.77.2.10', 11000, 40000), 0).kind, 'ping');
    assert.equal(ping.report?.code, 1);
    assert.equal(table.attribute(error('10.77.2.10', 11000, 40000, 9), 1).kind, 'duplicate');
    assert.equal(ping.report?.code, 1);
  });

  test('destination address, destination port and source port must all match', () => {
    const table = new PingTable();
    const ping = table.open({ host: '10.77.2.10', port: 11000, seq: 1 });
    table.bind(ping, '10.77.2.10', 11000, 40000);
    for (const [address, port, sourcePort] of [
      ['10.77.2.11', 11000, 40000],
      ['10.77.2.10', 11001, 40000],
      ['10.77.2.10', 11000, 40001],
      ['192.0.2.1', 80, 1234],
    ] as const) {
      assert.equal(table.attribute(error(address, port, sourcePort), 0).kind, 'unknown');
    }
    assert.equal(ping.report, undefined);
  });

  test('an error after the ping ended still counts for its target, once', () => {
    const table = new PingTable();
    const ping = table.open({ host: 'fd77:2::10', port: 11000, seq: 1 });
    table.bind(ping, 'fd77:2:0:0::10', 11000, 40000); // any spelling of the address
    table.close(ping, 100);
    const late = table.attribute(error('fd77:2::10', 11000, 40000), 200);
    assert.equal(late.kind, 'late');
    assert.equal(late.kind === 'late' && late.ping.host, 'fd77:2::10');
    assert.equal(table.attribute(error('fd77:2::10', 11000, 40000), 300).kind, 'duplicate');
  });

  test('ended pings are forgotten after the linger time or beyond the limit', () => {
    const table = new PingTable({ lingerMs: 1000, maxLingering: 2 });
    const pings = [1, 2, 3].map((n) => {
      const ping = table.open({ host: '10.77.2.10', port: 11000, seq: 1 });
      table.bind(ping, '10.77.2.10', 11000, 40000 + n);
      table.close(ping, 0);
      return ping;
    });
    assert.equal(table.size, 2);
    assert.equal(table.attribute(error('10.77.2.10', 11000, 40001), 10).kind, 'unknown');
    assert.equal(table.attribute(error('10.77.2.10', 11000, 40003), 2000).kind, 'unknown');
    assert.equal(table.size, 0);
    assert.ok(pings.every((p) => p.report === undefined));
  });

  test('a source port reused by a new ping belongs to the new ping', () => {
    const table = new PingTable();
    const old = table.open({ host: 'x', port: 11000, seq: 1 });
    table.bind(old, '10.77.2.10', 11000, 40000);
    table.close(old, 0);
    const fresh = table.open({ host: 'y', port: 11000, seq: 1 });
    table.bind(fresh, '10.77.2.10', 11000, 40000);
    assert.equal(table.attribute(error('10.77.2.10', 11000, 40000), 1).kind, 'ping');
    assert.ok(fresh.report && !old.report);
  });

  test('names, port 0 and unbound pings never enter the table', () => {
    const table = new PingTable();
    const ping = table.open({ host: 'x', port: 1, seq: 1 });
    table.bind(ping, 'not-an-address', 1, 40000);
    table.bind(ping, '10.77.2.10', 1, 0);
    table.close(ping, 0);
    assert.equal(table.size, 0);
  });
});
