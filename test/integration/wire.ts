import type { ChildProcess } from 'node:child_process';
import { finished, type Lab } from '../helpers/netns.js';

/** One line of test/helpers/probe-child.ts. */
export interface ChildPing {
  readonly ok: boolean;
  readonly seq: number;
  readonly rttSeconds?: number;
  readonly connectSeconds?: number;
  readonly synRetransmits?: number;
  readonly timing?: string;
  readonly reason?: string;
  readonly errno?: string;
  readonly icmp?: { family: number; type: number; code: number; reporter: string };
  readonly localPort?: number;
  readonly elapsedSeconds: number;
}

/** Runs the probe child in the client namespace and returns its pings. */
export async function probeFromClient(lab: Lab, args: [mode: string, host: string, port: number, count: number, timeoutMs: number]) {
  const { code, stdout, stderr } = await finished(lab.node(lab.client, ['test/helpers/probe-child.ts', ...args.map(String)]), 60_000);
  if (code !== 0) throw new Error(`probe child exited ${code}: ${stderr}`);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ChildPing);
}

/** A SYN or SYN-ACK as tcpdump printed it (nanosecond stamps). */
export interface Handshake {
  readonly synAt: number;
  readonly synAckAt: number;
}

const line = /^(\d+)\.(\d{9}) IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[(S|S\.)\]/;

/**
 * The first SYN and the first SYN-ACK of each flow, by the client's source port, from `tcpdump
 * -tt --nano -n -l` lines. Stamps are seconds (a float loses nothing that matters at µs).
 */
export function handshakesByPort(text: string, serverPort: number): Map<number, Handshake> {
  const syns = new Map<number, number>();
  const synAcks = new Map<number, number>();
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (!m) continue;
    const at = Number(m[1]) + Number(m[2]) / 1e9;
    const [sourcePort, destinationPort] = [Number(m[4]), Number(m[6])];
    if (m[7] === 'S' && destinationPort === serverPort && !syns.has(sourcePort)) syns.set(sourcePort, at);
    if (m[7] === 'S.' && sourcePort === serverPort && !synAcks.has(destinationPort)) synAcks.set(destinationPort, at);
  }
  const out = new Map<number, Handshake>();
  for (const [port, synAt] of syns) {
    const synAckAt = synAcks.get(port);
    if (synAckAt !== undefined) out.set(port, { synAt, synAckAt });
  }
  return out;
}

/** Starts tcpdump in a namespace and resolves once it listens; `stop()` ends it and returns what it printed. */
export async function capture(lab: Lab, ns: string, iface: string, filter: string): Promise<{ stop: () => Promise<string> }> {
  const child: ChildProcess = lab.spawn(ns, ['tcpdump', '-i', iface, '-n', '-l', '-tt', '--time-stamp-precision=nano', filter]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      if (/listening on/.test(d.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    stop: async () => {
      const done = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGINT');
      await done;
      return out;
    },
  };
}
