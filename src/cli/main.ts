import { ConfigError, TcppingError, UsageError } from '../util/errors.js';
import { version } from '../util/version.js';
import { checkConfig } from './check-config.js';
import { runClient } from './client.js';
import type { Io } from './io.js';
import { runServe } from './serve.js';
import { runServer } from './server.js';

const usage = `Usage:
  tcpping serve [--config FILE]
  tcpping server [--listen HOST:PORT] [--drop-rate R] [--delay-ms N] [--jitter-ms N]
  tcpping client HOST[:PORT] [-c COUNT] [-i SECONDS] [-W SECONDS] [--mode echo|connect] [--reuse] [--json]
  tcpping check-config FILE
  tcpping --version`;

const commands: Record<string, (args: string[], io: Io) => number | Promise<number>> = {
  serve: runServe,
  server: runServer,
  client: (args, io) => runClient(args, io),
  'check-config': checkConfig,
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--version' || command === '-V') {
    io.out(`tcpping ${version}`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(usage);
    return command === undefined ? 2 : 0;
  }
  const run = commands[command];
  if (!run) {
    io.err(`tcpping: unknown command "${command}"\n${usage}`);
    return 2;
  }
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) io.err(`${error.message}\n${usage}`);
    else if (error instanceof ConfigError) for (const problem of error.problems) io.err(problem);
    else if (error instanceof TcppingError) io.err(`tcpping ${command}: ${error.message}`);
    else io.err(`tcpping ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 2;
  }
}
