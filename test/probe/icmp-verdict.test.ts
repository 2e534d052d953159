import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getSystemErrorName } from 'node:util';
import type { IcmpReport } from '../../src/domain/ping.js';
import { errnoOfIcmp, icmpVerdict } from '../../src/probe/icmp-verdict.js';
import { reportOf } from '../../src/probe/ping-icmp.js';
import { errorQueueNames, recordedQueuedError } from '../kernel/recorded.js';

describe('the errno Linux gives a TCP socket for an ICMP error', () => {
  for (const name of errorQueueNames) {
    test(`agrees with the kernel's own entry: ${name}`, () => {
      const entry = recordedQueuedError(name);
      assert.equal(errnoOfIcmp(reportOf(entry)), getSystemErrorName(-entry.errno));
    });
  }
  const table: [Pick<IcmpReport, 'family' | 'type' | 'code'>, string | undefined][] = [
    [{ family: 4, type: 3, code: 1 }, 'EHOSTUNREACH'],
    [{ family: 4, type: 3, code: 3 }, 'ECONNREFUSED'],
    [{ family: 4, type: 3, code: 0 }, 'ENETUNREACH'],
    [{ family: 4, type: 3, code: 16 }, undefined], // past the table: the kernel ignores it
    [{ family: 4, type: 12, code: 0 }, 'EPROTO'],
    [{ family: 4, type: 5, code: 0 }, undefined], // a redirect is no error
    [{ family: 6, type: 1, code: 0 }, 'ENETUNREACH'],
    [{ family: 6, type: 1, code: 3 }, 'EHOSTUNREACH'],
    [{ family: 6, type: 1, code: 6 }, 'EACCES'],
    [{ family: 6, type: 1, code: 9 }, 'EPROTO'],
    [{ family: 6, type: 3, code: 0 }, 'EHOSTUNREACH'],
    [{ family: 6, type: 2, code: 0 }, 'EMSGSIZE'],
  ];
  for (const [report, errno] of table) {
    test(`ICMPv${report.family} type ${report.type} code ${report.code} → ${errno}`, () => assert.equal(errnoOfIcmp(report), errno));
  }
});

describe('which ICMP error explains a loss', () => {
  const prohibited: IcmpReport = { family: 4, type: 3, code: 13, reporter: '10.77.1.1' };
  const portUnreachable: IcmpReport = { family: 4, type: 3, code: 3, reporter: '10.77.1.1' };
  const table: [string, Parameters<typeof icmpVerdict>[0], ReturnType<typeof icmpVerdict>][] = [
    ['nothing at all', {}, {}],
    [
      'the queued error, and its raw copy confirms it',
      { queued: prohibited, captured: prohibited, errno: 'EHOSTUNREACH' },
      { icmp: prohibited },
    ],
    ['the queued error without a copy (no CAP_NET_RAW)', { queued: prohibited, errno: 'EHOSTUNREACH' }, { icmp: prohibited }],
    [
      'the queued error wins over a different copy, which is counted apart',
      { queued: prohibited, captured: portUnreachable, errno: 'EHOSTUNREACH' },
      { icmp: prohibited, apart: portUnreachable },
    ],
    [
      'a copy that agrees with the errno (the echo request, where TCP queues nothing)',
      { captured: prohibited, errno: 'EHOSTUNREACH' },
      { icmp: prohibited },
    ],
    ['a copy that contradicts the errno', { captured: prohibited, errno: 'ECONNREFUSED' }, { apart: prohibited }],
    ['a copy for a ping that timed out (forged for its port): changes nothing', { captured: prohibited }, { apart: prohibited }],
  ];
  for (const [name, evidence, expected] of table) test(name, () => assert.deepEqual(icmpVerdict(evidence), expected));
});
