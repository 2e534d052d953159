/** Where a command writes; tests pass their own. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Ctrl-C: a command that runs until stopped finishes cleanly when this fires. */
  readonly interrupt?: AbortSignal;
  /** SIGHUP: fires a 'hangup' event (a reload for `serve`). */
  readonly hangup?: EventTarget;
  /** Where `serve` writes its log lines (stdout unless a test captures them). */
  readonly log?: (line: string) => void;
}

export const processIo = (interrupt?: AbortSignal, hangup?: EventTarget): Io => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ...(interrupt ? { interrupt } : {}),
  ...(hangup ? { hangup } : {}),
});

/** Resolves when the command is interrupted (Ctrl-C, SIGTERM). */
export function untilInterrupted(io: Io): Promise<void> {
  return new Promise((resolve) => {
    if (io.interrupt?.aborted) resolve();
    io.interrupt?.addEventListener('abort', () => resolve(), { once: true });
  });
}
