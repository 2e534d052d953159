import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { capture, handshakesByPort } from '../test/helpers/tcpdump.js';
import type { Row } from './report.js';
import { median, percentile, sleep } from './stats.js';

/**
 * (e) RTT error against the wire: connect pings timed by the kernel (TCP_INFO) and by userland
 * (hrtime in callbacks, as every userland prober times them), alternated, against a packet
 * capture of the same handshakes (tcpdump on lo of a namespace of our own, so no one else's
 * traffic is in it): |figure − capture's SYN → SYN-ACK|, p50 and p99, with the machine otherwise
 * quiet and with both cores kept busy by two spinning processes. Needs root (a network namespace).
 */
export interface WireOptions {
  readonly pairs: number;
  readonly reps: number;
}

const PORT = 9000;

function inNamespace(ns: string) {
  return (command: string[]): ChildProcess => spawn('ip', ['netns', 'exec', ns, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finishedOutput(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('close', resolve));
  return out;
}

/** One run of `pairs` kernel/userland pairs: the absolute errors (µs) per timing. */
async function measure(ns: string, pairs: number): Promise<Record<'kernel' | 'userland', number[]>> {
  const run = inNamespace(ns);
  const tcpdump = await capture(run, 'lo', `tcp port ${PORT} and tcp[tcpflags] & tcp-syn != 0`);
  const output = await finishedOutput(run([process.execPath, '--import', 'tsx', 'bench/wire-child.ts', String(PORT), String(pairs)]));
  const flows = handshakesByPort(await tcpdump.stop(), PORT);
  const errors: Record<'kernel' | 'userland', number[]> = { kernel: [], userland: [] };
  for (const line of output.split('\n').filter((l) => l.startsWith('{'))) {
    const ping = JSON.parse(line) as { timing: 'kernel' | 'userland'; localPort?: number; rttSeconds: number };
    const flow = flows.get(ping.localPort ?? 0);
    if (flow) errors[ping.timing].push(Math.abs(ping.rttSeconds - (flow.synAckAt - flow.synAt)) * 1e6);
  }
  return errors;
}

export async function runWire(options: WireOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  if (process.getuid?.() !== 0) {
    log('(e) skipped: needs root for a network namespace');
    return { rows: [], raw: { skipped: 'not root' } };
  }
  const ns = `tcpping-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const children: ChildProcess[] = [];
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const server = inNamespace(ns)(['python3', 'test/fixtures/echo_ports.py', String(PORT)]);
    children.push(server);
    await new Promise((resolve) => server.stdout?.once('data', resolve));
    await measure(ns, 20); // warm-up
    const perRep: Record<string, { p50: number; p99: number }[]> = {};
    const record = (key: string, samples: number[]) => {
      perRep[key] ??= [];
      perRep[key].push({ p50: median(samples), p99: percentile(samples, 99) });
    };
    for (let rep = 0; rep < options.reps; rep++) {
      const quiet = await measure(ns, options.pairs);
      record('quiet kernel', quiet.kernel);
      record('quiet userland', quiet.userland);
      // Both cores busy: two processes spinning (CPU only, no traffic), for as long as the pings run.
      const spinners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
      children.push(...spinners);
      await sleep(200);
      const busy = await measure(ns, options.pairs);
      for (const s of spinners) s.kill('SIGKILL');
      record('busy kernel', busy.kernel);
      record('busy userland', busy.userland);
      log(
        `(e) rep ${rep + 1}: quiet ${quiet.kernel.length}+${quiet.userland.length}, busy ${busy.kernel.length}+${busy.userland.length} handshakes matched`,
      );
    }
    const rows: Row[] = [];
    for (const load of ['quiet', 'busy']) {
      for (const p of ['p50', 'p99'] as const) {
        const ours = (perRep[`${load} kernel`] ?? []).map((r) => r[p]);
        const floor = (perRep[`${load} userland`] ?? []).map((r) => r[p]);
        rows.push({
          section: 'e wire',
          name: `connect RTT error vs capture ${p}, ${load}`,
          unit: 'µs',
          ours: median(ours),
          floor: median(floor),
          ratio: median(ours.map((o, i) => o / (floor[i] as number))),
          note: load === 'quiet' && p === 'p50' ? 'ours: kernel (TCP_INFO); floor: userland (hrtime in callbacks)' : undefined,
        } as Row);
      }
    }
    return { rows, raw: { options, perRep } };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
