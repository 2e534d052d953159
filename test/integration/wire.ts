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
