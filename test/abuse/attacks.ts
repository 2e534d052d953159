import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultProbeContext, probers } from '../../src/probe/index.js';

/**
 * The attacks of the abuse suite, shared by test/abuse (small, in CI) and `npm run bench -- --only
 * abuse` (the full figures). Everything goes to 127.0.0.1; every loop is bounded; every socket and
 * child is closed by its owner.
 */

export interface Served {
  readonly child: ChildProcess;
  readonly webPort: number;
  /** Its config file (rewrite it, then SIGHUP). */
  readonly file: string;
  /** Bytes the service has logged so far. */
  logBytes(): number;
  stop(): Promise<number | null>;
}

/** `tcpping serve` on a config document, as a user runs it (`bin`: the CLI to run, for comparisons). */
/** `nodeFlags`: Node.js flags of the service's process (the benchmarks pass those it is shipped with). */
export async function serve(
  config: Record<string, unknown>,
  bin = 'src/cli/bin.ts',
  openFiles?: number,
  nodeFlags: readonly string[] = [],
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-abuse-'));
  const file = join(dir, 'tcpping.json');
  writeFileSync(file, JSON.stringify(config));
  // TypeScript runs under tsx; compiled JavaScript (what the benchmarks pass) as a user runs it.
  const node = [process.execPath, ...nodeFlags, ...(bin.endsWith('.ts') ? ['--import', 'tsx'] : []), bin, 'serve', '--config', file];
  // Raising the open-file limit needs a shell: Node has no setrlimit.
  const child = openFiles
    ? spawn('bash', ['-c', `ulimit -n ${openFiles} && exec "$@"`, 'bash', ...node], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(node[0] as string, node.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const webPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpping serve did not start within 30 s:\n${stderr}`));
    }, 30_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      bytes += line.length + 1;
      const entry = JSON.parse(line) as { msg?: string; web?: string };
      if (entry.msg === 'tcpping serving') {
        clearTimeout(timer);
        resolve(Number(entry.web?.split(':').pop()));
      }
    });
    void exited.then((code) => reject(new Error(`tcpping serve exited (${code}):\n${stderr}`)));
  });
  return {
    child,
    webPort,
    file,
    logBytes: () => bytes,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface PingerResult {
  sent: number;
  lost: number;
  reasons: Record<string, number>;
  rttMs: number[];
}

/** A legitimate client: one echo ping every 1000/rate ms (new connection each, 1 s timeout), for durationMs. */
export async function legitimatePings(port: number, ratePerSecond: number, durationMs: number): Promise<PingerResult> {
  const result: PingerResult = { sent: 0, lost: 0, reasons: {}, rttMs: [] };
  const pending: Promise<void>[] = [];
  const count = Math.floor((durationMs * ratePerSecond) / 1000);
  for (let seq = 1; seq <= count; seq++) {
    result.sent++;
    pending.push(
      probers.echo({ host: '127.0.0.1', port, seq, timeoutMs: 1000 }, defaultProbeContext).then((r) => {
        if (r.ok) result.rttMs.push(r.value.rttSeconds * 1000);
        else {
          result.lost++;
          result.reasons[r.error.reason] = (result.reasons[r.error.reason] ?? 0) + 1;
        }
      }),
    );
    await sleep(1000 / ratePerSecond);
  }
  await Promise.all(pending);
  return result;
}

export interface PingLine {
  readonly at: number;
  readonly ok: boolean;
  readonly rttMs?: number;
  readonly reason?: string;
}

/** A legitimate client in a child process of its own (see pinger.ts); `lines` fill as pings end. */
export function pingerApart(
  port: number,
  ratePerSecond: number,
  durationMs: number,
): { lines: PingLine[]; done: Promise<void>; stop: () => void } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/abuse/pinger.ts', String(port), String(ratePerSecond), String(durationMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: PingLine[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as PingLine));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { lines, done, stop: () => child.kill('SIGTERM') };
}

/** The pings sent from `fromMs` to `toMs` (epoch ms) as a PingerResult. */
export function pingsBetween(lines: readonly PingLine[], fromMs: number, toMs: number): PingerResult {
  const result: PingerResult = { sent: 0, lost: 0, reasons: {}, rttMs: [] };
  for (const l of lines) {
    if (l.at < fromMs || l.at >= toMs) continue;
    result.sent++;
    if (l.ok) result.rttMs.push(l.rttMs as number);
    else {
      result.lost++;
      result.reasons[l.reason as string] = (result.reasons[l.reason as string] ?? 0) + 1;
    }
  }
  return result;
}

/** legitimatePings in a child process of its own. */
export async function legitimatePingsApart(port: number, ratePerSecond: number, durationMs: number): Promise<PingerResult> {
  const pinger = pingerApart(port, ratePerSecond, durationMs + 3000);
  // The child's own start-up (compiling TypeScript) is left out: its first 3 s do not count.
  await sleep(3000);
  const from = Date.now();
  await pinger.done;
  return pingsBetween(pinger.lines, from, from + durationMs);
}

/** Connections held by child processes (see holder.ts), `perChild` each; `close()` ends them. */
export async function holdApart(
  port: number,
  count: number,
  trickleMs?: number,
  perChild = 10_000,
): Promise<{ opened: number; close: () => Promise<void> }> {
  const children: ChildProcess[] = [];
  let opened = 0;
  for (let left = count; left > 0; left -= perChild) {
    const args = [
      '--import',
      'tsx',
      'test/abuse/holder.ts',
      String(port),
      String(Math.min(perChild, left)),
      ...(trickleMs ? [String(trickleMs)] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    opened += await new Promise<number>((resolve) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve(Number(line.split(' ')[1])));
      child.once('exit', () => resolve(0));
    });
  }
  return {
    opened,
    close: async () => {
      await Promise.all(
        children.map((child) => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.stdin?.end();
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          return exited;
        }),
      );
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens `n` connections, `batch` at a time (the listen backlog is finite); those refused are dropped. */
export async function openMany(port: number, n: number, batch = 200): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () => {
        const s = connect({ host: '127.0.0.1', port });
        s.on('error', () => {});
        sockets.push(s);
        return new Promise<void>((resolve) => {
          s.once('connect', () => resolve());
          s.once('close', () => resolve());
          setTimeout(resolve, 2000).unref();
        });
      }),
    );
  }
  return sockets;
}

/** Slowloris: every connection sends one byte of a line every `everyMs`, never a newline. */
export function trickle(sockets: readonly Socket[], everyMs: number): () => void {
  const timer = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write('p');
  }, everyMs);
  return () => clearInterval(timer);
}

/** Sends `count` ping lines, each one byte per TCP segment, and returns the replies seen. */
export async function splitLines(port: number, count: number): Promise<number> {
  let replies = 0;
  const [socket] = await openMany(port, 1);
  if (!socket) return 0;
  socket.setNoDelay(true);
  socket.on('data', (d) => {
    replies += String(d).split('\n').length - 1;
  });
  for (let seq = 1; seq <= count; seq++) {
    for (const ch of `ping ${seq} 1.5\n`) {
      socket.write(ch);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await sleep(500);
  socket.destroy();
  return replies;
}

export function closeAll(sockets: readonly Socket[]): void {
  for (const s of sockets) s.destroy();
}

/** One value of a /metrics series (summed over label sets that match). */
export async function metric(webPort: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${webPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (/^[a-z_]+/.exec(line)?.[0] === name && line.includes(labels)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

export function percentileOf(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
}
