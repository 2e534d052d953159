import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseExposition } from '../helpers/exposition.js';
import { labSkipReason } from '../helpers/netns.js';

/**
 * Four agents in four namespaces on one bridge, each finding the others through the same name
 * ("tcpping-peers", four A records in the namespaces' own /etc/hosts, as a headless Service gives).
 */
const skip = labSkipReason();
const tag = `tcpping-${process.pid}-mesh`;
const sw = `${tag}-sw`;
const agents = [1, 2, 3, 4].map((n) => ({ n, ns: `${tag}-a${n}`, ip: `10.78.0.${n}`, name: `agent-${n}` }));
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'tcpping-mesh-'));

function sh(args: string[], input?: string): void {
  execFileSync(args[0] as string, args.slice(1), { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 10_000 });
}

before(() => {
  if (skip) return;
  sh(['ip', 'netns', 'add', sw]);
  sh(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  sh(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
  const hosts = `127.0.0.1 localhost\n${agents.map((a) => `${a.ip} tcpping-peers`).join('\n')}\n`;
  for (const a of agents) {
    sh(['ip', 'netns', 'add', a.ns]);
    sh(['ip', '-n', a.ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', 'link', 'add', 'eth0', 'netns', a.ns, 'type', 'veth', 'peer', 'name', `p${a.n}`, 'netns', sw]);
    sh(['ip', '-n', sw, 'link', 'set', `p${a.n}`, 'master', 'br0', 'up']);
    sh(['ip', '-n', a.ns, 'addr', 'add', `${a.ip}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', a.ns, 'link', 'set', 'eth0', 'up']);
    // `ip netns exec` mounts /etc/netns/NS/* over /etc: the agents' own resolver files.
    mkdirSync(`/etc/netns/${a.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${a.ns}/hosts`, hosts);
    writeFileSync(`/etc/netns/${a.ns}/host.conf`, 'multi on\n');
    const config = {
      responder: { listen: '0.0.0.0:11000', dropRate: 0 },
      web: { listenAddress: '0.0.0.0:11001' },
      icmp: { capture: 'off' },
      log: { level: 'warn' },
      defaults: { mode: 'echo', count: 3, intervalMs: 1000, timeoutMs: 500 },
      targets: [],
      mesh: { enabled: true, peersDns: 'tcpping-peers', selfName: a.name, intervalMs: 1000 },
    };
    writeFileSync(`${dir}/${a.name}.json`, JSON.stringify(config));
  }
  for (const a of agents) {
    const child = spawn(
      'ip',
      ['netns', 'exec', a.ns, process.execPath, '--import', 'tsx', 'src/cli/bin.ts', 'serve', '--config', `${dir}/${a.name}.json`],
      {
        stdio: 'ignore',
      },
    );
    children.push(child);
  }
});

after(() => {
  for (const child of children) if (child.pid) killTree(child.pid);
  for (const a of agents) {
    spawnSync('ip', ['netns', 'del', a.ns]);
    rmSync(`/etc/netns/${a.ns}`, { recursive: true, force: true });
  }
  spawnSync('ip', ['netns', 'del', sw]);
  rmSync(dir, { recursive: true, force: true });
});

function killTree(pid: number): void {
  for (const child of spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean))
    killTree(Number(child));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone
  }
}

/** Reads an agent's /metrics from inside its namespace (the only place its address exists). */
function scrape(a: (typeof agents)[number]) {
  const script = `fetch('http://${a.ip}:11001/metrics').then(r => r.text()).then(t => process.stdout.write(t), () => process.exit(3))`;
  const out = spawnSync('ip', ['netns', 'exec', a.ns, process.execPath, '-e', script], { encoding: 'utf8', timeout: 5000 });
  return out.status === 0 ? parseExposition(out.stdout) : undefined;
}

async function eventually(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test('every agent finds the three others by name and pings them without loss', { skip }, async () => {
  await eventually('every agent reports its three peers with replies', 40_000, () =>
    agents.every((a) => {
      const m = scrape(a);
      return agents
        .filter((b) => b !== a)
        .every(
          (b) =>
            m !== undefined &&
            m.value('tcpping_rtt_seconds_count', { target: b.name }) >= 3 &&
            m.value('tcpping_target_up', { target: b.name }) === 1,
        );
    }),
  );
  for (const a of agents) {
    const m = scrape(a);
    assert.ok(m);
    assert.ok(!m.has('tcpping_pings_sent_total', { target: a.name }), `${a.name} skips itself`);
    for (const b of agents.filter((x) => x !== a)) {
      assert.equal(m.value('tcpping_pings_lost_total', { target: b.name }), 0, `${a.name} → ${b.name}`);
      assert.ok(m.has('tcpping_target_info', { target: b.name, address: `${b.ip}:11000` }));
    }
  }
});

test('an agent that drops all inbound traffic is reported lost by the others, who still see each other', { skip }, async () => {
  const dark = agents[2] as (typeof agents)[number];
  sh(
    ['ip', 'netns', 'exec', dark.ns, 'nft', '-f', '-'],
    'table inet dark {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    iif lo accept\n  }\n}\n',
  );
  const others = agents.filter((a) => a !== dark);
  const lostBefore = new Map(others.map((a) => [a.name, scrape(a)?.value('tcpping_pings_lost_total', { target: dark.name }) ?? 0]));
  await eventually(`the others lose ${dark.name}`, 20_000, () =>
    others.every((a) => {
      const m = scrape(a);
      return (
        m !== undefined &&
        m.value('tcpping_pings_lost_total', { target: dark.name }) >= (lostBefore.get(a.name) ?? 0) + 3 &&
        m.value('tcpping_target_up', { target: dark.name }) === 0
      );
    }),
  );
  for (const a of others) {
    const m = scrape(a);
    for (const b of others.filter((x) => x !== a)) {
      assert.equal(m?.value('tcpping_pings_lost_total', { target: b.name }), 0, `${a.name} still reaches ${b.name}`);
      assert.equal(m?.value('tcpping_target_up', { target: b.name }), 1);
    }
  }
});
