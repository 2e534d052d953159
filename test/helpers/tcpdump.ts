import type { ChildProcess } from 'node:child_process';

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

/**
 * Starts tcpdump (through `spawn`, e.g. inside a namespace) and resolves once it listens; `stop()`
 * ends it and returns what it printed: one line per packet, nanosecond stamps.
 */
export async function capture(
  spawn: (command: string[]) => ChildProcess,
  iface: string,
  filter: string,
): Promise<{ stop: () => Promise<string> }> {
  // --immediate-mode: each packet at once; otherwise libpcap holds them in a block a stop may never see.
  // In that mode each packet takes a slot of the snapshot length (262,144 by default) in the kernel's
  // ring: 2 MiB held 8, and a burst of handshakes while tcpdump waited for a core overflowed it (a CI
  // rehearsal: "6 packets dropped by kernel"). Headers alone (256 bytes) in 8 MiB: about 30,000 slots.
  const child = spawn([
    'tcpdump',
    '-i',
    iface,
    '-n',
    '-l',
    '--immediate-mode',
    '-s',
    '256',
    '-B',
    '8192',
    '-tt',
    '--time-stamp-precision=nano',
    filter,
  ]);
  let out = '';
  let said = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
    child.stderr?.on('data', () => {
      if (/listening on/.test(said)) {
        clearTimeout(timer);
        // It says so as it opens the capture; give the ring a moment to be live.
        setTimeout(resolve, 100);
      }
    });
  });
  return {
    stop: async () => {
      // The last packets can still wait in the ring for tcpdump to be scheduled, and a SIGINT then
      // loses them: stop once it has printed nothing new for 200 ms (3 s at most).
      for (let seen = out.length, quietMs = 0, waitedMs = 0; quietMs < 200 && waitedMs < 3000; waitedMs += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        quietMs = out.length === seen ? quietMs + 50 : 0;
        seen = out.length;
      }
      const done = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGINT');
      await done;
      return `${out}\n(tcpdump said: ${said})`;
    },
  };
}
