import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import request from 'supertest';
import { loadConfigFile } from '../../src/config/load.js';
import { Service } from '../../src/service.js';
import { parseExposition } from '../helpers/exposition.js';
import { FakeClock } from '../helpers/fake-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpping-drop-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'tcpping.json');

function writeConfig(drop: unknown): void {
  const doc = {
    responder: { enabled: false },
    web: { listenAddress: '127.0.0.1:0' },
    icmp: { capture: 'off' },
    metrics: { drop },
    // Never pinged (the clock is fake): only the series' presence is looked at.
    targets: [{ name: 'a', address: '127.0.0.1:9' }],
  };
  writeFileSync(file, JSON.stringify(doc));
}

test('metrics.drop applies live on reload; an invalid list is refused and the running one stays', async () => {
  writeConfig([]);
  const clock = new FakeClock();
  const service = await Service.start(loadConfigFile(file, {}), { clock });
  try {
    const names = async () => {
      const m = parseExposition((await request(service.app).get('/metrics').expect(200)).text);
      return { types: m.types, les: m.samples.filter((s) => s.name === 'tcpping_rtt_seconds_bucket').map((s) => s.labels.le) };
    };
    assert.equal((await names()).les.length, 38);

    writeConfig(['tcpping_rtt_seconds_bucket', 'tcpping_target_address_changes_total']);
    const reloaded = await service.reload('test');
    assert.ok(reloaded.ok);
    assert.deepEqual(reloaded.applied, ['metrics.drop']);
    assert.deepEqual(reloaded.needRestart, []);
    let now = await names();
    assert.deepEqual(now.les, ['+Inf']);
    assert.ok(!now.types.has('tcpping_target_address_changes_total'));
    assert.ok(now.types.has('tcpping_connect_seconds'));

    await clock.advance(2000); // past the gap between reloads
    writeConfig(['tcpping_rtt_seconds_buckets']);
    const refused = await service.reload('test');
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.problems.join('\n'), /metrics\.drop.*did you mean "tcpping_rtt_seconds_bucket"/);
    now = await names();
    assert.deepEqual(now.les, ['+Inf']);
  } finally {
    await service.stop();
  }
});
