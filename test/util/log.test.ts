import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/util/log.js';

function lines(format: 'json' | 'logfmt' | 'human') {
  const out: string[] = [];
  const log = createLogger('info', format, (l) => out.push(l)).child({ component: 'mesh' });
  log.debug('not shown');
  log.warn({ target: 'a b', rtt: { min: 0.001 }, err: new Error('boom\nagain') }, 'two\nlines "quoted"');
  return out;
}

test('log.format: json as pino writes it, logfmt as Prometheus does, human for a terminal; one line per record', () => {
  const [json] = lines('json');
  const record = JSON.parse(json ?? '');
  assert.equal(record.level, 40);
  assert.equal(record.component, 'mesh');
  assert.equal(record.err.message, 'boom\nagain');
  const [logfmt] = lines('logfmt');
  assert.match(
    logfmt ?? '',
    /^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=warn msg="two\\nlines \\"quoted\\"" component=mesh target="a b" rtt\.min=0\.001 err="boom\\nagain"\n$/,
  );
  const [human] = lines('human');
  assert.match(
    human ?? '',
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARN {2}two ⏎ lines "quoted" {2}component=mesh target="a b" rtt\.min=0\.001 err="boom\\nagain"\n$/,
  );
  for (const format of ['json', 'logfmt', 'human'] as const) for (const line of lines(format)) assert.equal(line.split('\n').length, 2);
});
