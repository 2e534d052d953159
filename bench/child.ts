import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Benchmark parts that must not share a process with what measures them (a server whose CPU we
 * read, a load generator whose RSS we read) run as child processes driven over IPC. Children are
 * stopped by their own pid, and exit by themselves if the parent goes away.
 */
type Message = { id?: number; type?: string; result?: unknown; error?: string } & Record<string, unknown>;

export interface Child {
  readonly pid: number;
  /** The child's first message ({type: 'ready', ...}). */
  readonly ready: Message;
  rpc<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function spawnChild(script: string, args: readonly string[], readyTimeoutMs = 30_000): Promise<Child> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const proc: ChildProcess = fork(path, [...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = await new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    proc.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Message);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before ready`)));
  }).catch((error) => {
    process.kill(pid, 'SIGKILL');
    throw error;
  });
  let nextId = 1;
  const rpc = <T>(cmd: string, cmdArgs?: unknown, timeoutMs = 60_000): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (m: Message) => {
        if (m.id !== id) return;
        cleanup();
        if (m.error) reject(new Error(`${script} ${cmd}: ${m.error}`));
        else resolve(m.result as T);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${script} ${cmd}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        proc.off('message', onMessage);
      };
      proc.on('message', onMessage);
      proc.send({ id, cmd, args: cmdArgs });
    });
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.disconnect();
    const killer = setTimeout(() => process.kill(pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return { pid, ready, rpc, stop };
}

/** Child side: answers the parent's commands; exits when the parent disconnects. */
export function serveCommands(
  ready: Record<string, unknown>,
  handlers: Record<string, (args: unknown) => unknown>,
  onExit?: () => Promise<void>,
): void {
  const send = (m: unknown) => process.send?.(m);
  process.on('message', async (m: { id: number; cmd: string; args: unknown }) => {
    const handler = handlers[m.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${m.cmd}`);
      send({ id: m.id, result: await handler(m.args) });
    } catch (error) {
      send({ id: m.id, error: (error as Error).message });
    }
  });
  process.once('disconnect', async () => {
    await onExit?.();
    process.exit(0);
  });
  send({ type: 'ready', ...ready });
}

export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
