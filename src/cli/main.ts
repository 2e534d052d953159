import { TcppingError, UsageError } from '../util/errors.js';
import { version } from '../util/version.js';
import { checkConfig, checkConfigFlags, checkConfigSpec } from './check-config.js';
import { clientFlags, clientSpec, runClient } from './client.js';
import type { CommandSpec, Flags } from './flags.js';
import { commandHelp } from './help.js';
import type { Io } from './io.js';
import { runServe, serveFlags, serveSpec } from './serve.js';
import { runServer, serverFlags, serverSpec } from './server.js';
import { runTraceCommand, traceFlags, traceSpec } from './trace.js';

interface Command {
  readonly spec: CommandSpec;
  readonly flags: Flags;
  readonly run: (args: string[], io: Io) => number | Promise<number>;
}

const commands: Record<string, Command> = {
  serve: { spec: serveSpec, flags: serveFlags, run: runServe },
  server: { spec: serverSpec, flags: serverFlags, run: runServer },
  client: { spec: clientSpec, flags: clientFlags, run: (args, io) => runClient(args, io) },
  trace: { spec: traceSpec, flags: traceFlags, run: (args, io) => runTraceCommand(args, io) },
  'check-config': { spec: checkConfigSpec, flags: checkConfigFlags, run: checkConfig },
};

const overview = `Usage: tcpping COMMAND [FLAGS] [ARGS]

TCP ping monitoring: a ping server, rounds of TCP pings to your targets, the ICMP errors that
explain losses, Prometheus metrics and a status page.

Commands:
${Object.values(commands)
  .map(({ spec }) => `  ${spec.name.padEnd(14)}${spec.summary.split('\n')[0]?.replace(/:.*/, '')}`)
  .join('\n')}
  help COMMAND  a command's flags and their defaults (also: tcpping COMMAND --help)

Flags: -h, --help (this text); -V, --version (the version).`;

/** `tcpping help CMD`, `tcpping CMD -h`: asked for help, not given a flag called -h. */
const asksForHelp = (args: readonly string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V') {
    io.out(`tcpping ${version}`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
    (name === undefined ? io.err : io.out)(overview);
    return name === undefined ? 2 : 0;
  }
  const topic = name === 'help' ? args[0] : undefined;
  const command = commands[topic ?? name];
  if (!command) {
    io.err(`tcpping: unknown command "${topic ?? name}": the commands are ${Object.keys(commands).join(', ')} (see tcpping --help)`);
    return 2;
  }
  if (topic !== undefined || asksForHelp(args)) {
    io.out(commandHelp(command.spec, command.flags));
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) io.err(error.message);
    else if (error instanceof TcppingError) io.err(`tcpping ${name}: ${error.message}`);
    else io.err(`tcpping ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 2;
  }
}
