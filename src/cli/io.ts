import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

import { UsageError } from '../util/errors.js';

/** Where a command writes; tests pass their own. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Ctrl-C: a command that runs until stopped finishes cleanly when this fires. */
  readonly interrupt?: AbortSignal;
  /** SIGHUP: fires a 'hangup' event (a reload for `serve`). */
  readonly hangup?: EventTarget;
}

export const processIo = (interrupt?: AbortSignal, hangup?: EventTarget): Io => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ...(interrupt ? { interrupt } : {}),
  ...(hangup ? { hangup } : {}),
});

/** node:util parseArgs, with its errors turned into usage errors that name the argument. */
export function parse<const T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new Error(`unexpected argument '${parsed.positionals[0]}'`);
    }
    return parsed;
  } catch (error) {
    throw new UsageError(`tcpping ${command}: ${(error as Error).message}`);
  }
}

export function numberArg(command: string, name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`tcpping ${command}: ${name} must be a number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

/** Resolves when the command is interrupted (Ctrl-C, SIGTERM). */
export function untilInterrupted(io: Io): Promise<void> {
  return new Promise((resolve) => {
    if (io.interrupt?.aborted) resolve();
    io.interrupt?.addEventListener('abort', () => resolve(), { once: true });
  });
}
