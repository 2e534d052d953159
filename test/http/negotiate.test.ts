import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptsGzip, negotiateFormat } from '../../src/http/negotiate.js';
import { prometheusAccept } from '../helpers/prometheus.js';

test('protobuf only when asked for by name and preferred; text for everyone else', () => {
  const cases: [accept: string | undefined, format: 'protobuf' | 'text'][] = [
    [prometheusAccept.native, 'protobuf'],
    [prometheusAccept.classic, 'text'],
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/html,application/xhtml+xml,*/*;q=0.8', 'text'],
    ['application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited', 'protobuf'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.3,text/plain;q=0.9', 'text'],
    ['text/plain;q=0.5,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5', 'protobuf'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=banana', 'text'],
    [';;,,;=;q=', 'text'],
  ];
  for (const [accept, format] of cases) assert.equal(negotiateFormat(accept), format, String(accept));
});

test('gzip when Accept-Encoding allows it', () => {
  const cases: [acceptEncoding: string | undefined, gzip: boolean][] = [
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['x-gzip', true],
    ['*', true],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['deflate', false],
    ['', false],
    [undefined, false],
  ];
  for (const [header, gzip] of cases) assert.equal(acceptsGzip(header), gzip, String(header));
});
