import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endLine, hopLines, tableHeader, traceJson } from '../../src/cli/trace-format.js';
import { loadConfig } from '../../src/config/load.js';
import type { PathHop, PathReport, PathTrace, ProbeOutcome } from '../../src/domain/path.js';
import { renderIndex } from '../../src/http/page.js';
import { logObserver } from '../../src/scheduler/observers.js';
import { StatusBoard } from '../../src/status/status.js';
import { summarizeHop } from '../../src/trace/hops.js';
import { createLogger } from '../../src/util/log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const te = (from: string, ms: number): ProbeOutcome => ({
  answer: 'time-exceeded',
  from,
  rttSeconds: ms / 1000,
  icmp: { family: 4, type: 11, code: 0, reporter: from },
});
const none: ProbeOutcome = { answer: 'none' };
const hop = (n: number, ...outcomes: ProbeOutcome[]): PathHop => summarizeHop(n, outcomes);
/** Answers stop at hop 3 (10.0.3.1): hop 2 never answers, hops 4 and 5 nothing. */
const stopped: PathTrace = {
  address: '10.0.9.9',
  port: 443,
  family: 4,
  sourcePort: 2000,
  hops: [
    hop(1, te('10.0.1.1', 1), te('10.0.1.1', 2), te('10.0.1.1', 3)),
    hop(2, none, none, none),
    hop(3, te('10.0.3.1', 5), none, te('10.0.3.9', 7)),
    hop(4, none, none, none),
    hop(5, none, none, none),
  ],
  end: 'silence',
  startedAt: 1_700_000_000,
  durationSeconds: 12.3,
};
const reached: PathTrace = {
  ...stopped,
  hops: [...stopped.hops.slice(0, 3), hop(4, { answer: 'syn-ack', from: '10.0.9.9', rttSeconds: 0.009 })],
  end: 'syn-ack',
};

test('the report: a silent hop is * with no loss figure, a hop with two routers lists the other, the end line says where answers stop', () => {
  assert.equal(tableHeader(4), 'HOP  ADDRESS          LOSS  SNT  RCV      BEST       AVG      WRST  ANSWER');
  const lines = stopped.hops.flatMap((h) => hopLines(h, 4));
  assert.deepEqual(lines.slice(0, 5), [
    '  1  10.0.1.1           0%    3    3     1.000     2.000     3.000  Time to live exceeded in transit (type 11, code 0)',
    '  2  *                        3    0                                no answer',
    '  3  10.0.3.1          33%    3    2     5.000     6.000     7.000  Time to live exceeded in transit (type 11, code 0)',
    '     10.0.3.9',
    '  4  *                        3    0                                no answer',
  ]);
  assert.equal(endLine('10.0.9.9:443', stopped), 'answers stop at hop 3 (10.0.3.1), nothing from hop 4 to 5; 10.0.9.9:443 did not answer');
  assert.equal(endLine('10.0.9.9:443', reached), '10.0.9.9:443 answered SYN-ACK (port open) at hop 4');
  const refused: PathTrace = {
    ...stopped,
    hops: [{ ...hop(1, te('fw', 1)), answer: 'unreachable', icmp: { family: 4, type: 3, code: 13, reporter: 'fw' } }],
    end: 'unreachable',
  };
  assert.equal(endLine('x:1', refused), 'hop 1 (fw) refused the probes: Communication Administratively Prohibited; x:1 not reached');
  assert.equal(
    endLine('x:1', { ...stopped, hops: [], end: 'error', error: 'cannot open a probe socket' }),
    'trace stopped: cannot open a probe socket',
  );
  const json = traceJson('10.0.9.9:443', stopped, { probesPerHop: 3 });
  assert.deepEqual(
    json.hops.map((h) => h.lossRatio),
    [0, null, 1 - 2 / 3, null, null],
  );
  assert.deepEqual([json.reached, json.answersStopAt], [false, { hop: 3, address: '10.0.3.1' }]);
});

test('the status page and the API: where answers stop, the change, the hops under a fold; nothing before a trace', () => {
  const config = loadConfig({ icmp: { capture: 'off' }, targets: [{ name: 'far', address: '10.0.9.9:443' }] }, 'test', {});
  const status = new StatusBoard(new FakeClock());
  status.observer.targetAdded?.(config.targets[0] as never);
  const page = () => renderIndex('x', status.list(), { nowSeconds: 1_700_000_000 });
  assert.match(page(), /<td class="path" data-path="none"><span class="sub">not traced yet/);
  const version = status.version;
  status.observer.pathTraced?.('far', { trace: reached, trigger: 'periodic', changedHops: null });
  status.observer.pathTraced?.('far', { trace: { ...stopped, sourcePort: 2000 }, trigger: 'loss', changedHops: [3] });
  assert.ok(status.version > version, 'a trace is a change of what the page shows');
  const [far] = status.list(false);
  assert.deepEqual(
    [far?.path?.answersStopAt, far?.path?.reached, far?.path?.changedHops, far?.pathChanges],
    [{ hop: 3, address: '10.0.3.1' }, false, [3], 1],
  );
  const html = page();
  assert.match(html, /<td class="path" data-path="silence" data-path-stop="3" data-path-stop-address="10\.0\.3\.1" data-path-changes="1">/);
  assert.match(html, /<span class="stop">answers stop at hop 3<\/span> 10\.0\.3\.1<span class="sub">nothing from hop 4 on<\/span>/);
  assert.match(html, /<span class="changed">path changed at hop 3<\/span><span class="sub">changed 1× since start<\/span>/);
  assert.match(html, /traced \d\d:\d\d:\d\d UTC \(loss\), port 2000/);
  assert.match(html, /<details><summary>5 hops<\/summary><ol class="hops"><li value="1">10\.0\.1\.1 /);
  assert.match(html, /<li value="2" class="silent" title="no answer: many routers send no time exceeded; not loss">\*<\/li>/);
  assert.match(html, /<li value="3">10\.0\.3\.1 \(\+1 more\) <span[^>]*>6\.00 ms, 33% lost<\/span><\/li>/);
  assert.doesNotMatch(html, /NaN|undefined/);
});

test('the log: a line for a trace run for loss or recovery, or that found a change; a quiet periodic one at debug', () => {
  const lines: { level: number; msg: string }[] = [];
  const observer = logObserver(createLogger('debug', 'json', (l) => lines.push(JSON.parse(l))));
  const report = (trace: PathTrace, trigger: PathReport['trigger'], changedHops: number[] | null): PathReport => ({
    trace,
    trigger,
    changedHops,
  });
  observer.pathTraced?.('far', report(stopped, 'loss', [3]));
  observer.pathTraced?.('far', report(reached, 'recovery', []));
  observer.pathTraced?.('far', report(reached, 'periodic', []));
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [30, 'path to far traced (loss): answers stop at hop 3 (10.0.3.1); path changed at hop 3'],
      [30, 'path to far traced (recovery): syn-ack at hop 4'],
      [20, 'path to far traced (periodic): syn-ack at hop 4'],
    ],
  );
});
