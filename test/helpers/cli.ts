import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tcpping ARGS` from source as a user would run the binary, bounded in time. */
export function tcpping(args: string[], timeoutMs = 30_000, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], timeoutMs, env);
}

export function run(command: string, args: string[], timeoutMs = 30_000, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running process and resolves with it and its first line of output. */
export async function startWithFirstLine(
  command: string,
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; firstLine: string; lines: string[] }> {
  const child = spawn(command, args);
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  const firstLine = await new Promise<string>((resolve, reject) => {
    reader.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before printing`)));
  });
  reader.on('line', (line) => lines.push(line));
  return { child, firstLine, lines };
}
