import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finished, lab4, lab6, labSkipReason, suiteLab } from '../helpers/netns.js';
import { assertCase, cases, icmpSeries, scrape, scrapeUntil, value, writeConfig } from './lab.js';

const skip = labSkipReason();
const routers: Record<string, string> = { 4: lab4.router, 6: lab6.router };

describe('ICMP errors in a namespace lab (client ⇄ router ⇄ server)', { skip }, () => {
  const { lab, cleanups } = suiteLab('icmp');

  test('the service counts each exact type/code per target; the blackhole only times out', { timeout: 90_000 }, async () => {
    const config = writeConfig('on', 11001, cases);
    cleanups.push(config.remove);
    const service = lab.node(lab.client, ['src/cli/bin.ts', 'serve', '--config', config.file]);
    const output = finished(service, 60_000);
    const done = (s: Parameters<typeof icmpSeries>[0]) =>
      cases.every(
        (c) =>
          value(s, 'tcpping_pings_lost_total', { target: c.name, reason: c.reason }) >= 1 && (!c.icmp || icmpSeries(s, c.name).length > 0),
      );
    const samples = await scrapeUntil(lab, lab.client, 11001, done);
    const later = samples.length > 0 ? scrape(lab, lab.client, 11001) : [];
    service.kill('SIGTERM');
    const { stdout, stderr } = await output;
    assert.ok(samples.length > 0, `no metrics; service said:\n${stdout}${stderr}`);
    assert.equal(value(samples, 'tcpping_icmp_capture_enabled', {}), 1);
    for (const c of cases) assertCase(samples, c, later);
  });

  test('the client prints each ICMP error in words with type, code and router, or that none came', { timeout: 180_000 }, async () => {
    // Four clients at a time: a dozen tsx start-ups at once can take longer than a ping round on a busy machine.
    const runs: { c: (typeof cases)[number]; code: number | null; stdout: string; stderr: string }[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4).map(async (c) => {
        const child = lab.node(lab.client, ['src/cli/bin.ts', 'client', c.address, '-c', '2', '-i', '0.2', '-W', '1', '--mode', 'connect']);
        return { c, ...(await finished(child, 45_000)) };
      });
      runs.push(...(await Promise.all(batch)));
    }
    for (const { c, code, stdout, stderr } of runs) {
      assert.equal(code, 1, `${c.name}: exit status\n${stdout}${stderr}`);
      assert.doesNotMatch(stderr, /capture/i, `${c.name}: capture should run as root`);
      const lines = stdout.split('\n');
      const lost = lines.filter((l) => l.startsWith('no reply'));
      assert.equal(lost.length, 2, stdout);
      if (!c.icmp) {
        assert.match(stdout, /request timed out/);
        assert.match(stdout, /^ {2}No ICMP error message for seq=1$/m);
        assert.match(stdout, /^ {2}No ICMP error message for seq=2$/m);
        continue;
      }
      const router = routers[c.name.slice(1, 2)];
      const expected = new RegExp(`^ {2}ICMP(v6)? .+ \\(type ${c.icmp[0]}, code ${c.icmp[1]}\\) from ${router}$`, 'm');
      assert.match(stdout, expected, `${c.name}:\n${stdout}`);
    }
  });
});
