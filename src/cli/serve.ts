import { defaultConfig, loadConfigFileAsync } from '../config/load.js';
import { logLevels, schema } from '../config/schema.js';
import { Service, STOP_GRACE_MS } from '../service.js';
import { ConfigError } from '../util/errors.js';
import { createLogger, type LogFormat, logFormats } from '../util/log.js';
import { type CommandSpec, type Flags, parseFlags, textFlag, wordFlag } from './flags.js';
import { type Io, untilInterrupted } from './io.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  operands: '',
  operandCount: [0, 0],
  summary:
    'Run the service: the embedded ping server, rounds of pings to every target, /metrics and the status page.\nWithout --config it runs the built-in defaults (the same as config/default.yaml).',
  notes: [
    'Every key of the config file can also be set by an environment variable (TCPPING_LOG_LEVEL, TCPPING_RESPONDER_LISTEN, ...); see the README.',
    'SIGHUP (and POST /-/reload with web.enableLifecycle) reloads the config. SIGTERM or Ctrl-C stops in order, exit 0.',
    'Exit status: 0 after a clean stop, 2 when it cannot start (bad config, an address in use, icmp.capture "on" without CAP_NET_RAW).',
  ],
};

export const serveFlags = {
  config: { long: 'config', value: 'FILE', doc: 'YAML or JSON config file (check it with tcpping check-config FILE)', parse: textFlag },
  logLevel: {
    long: 'log.level',
    value: 'LEVEL',
    doc: `log level, over log.level of the config (default there: ${schema.log.level.default})`,
    parse: wordFlag(logLevels),
  },
  logFormat: {
    long: 'log.format',
    value: 'FORMAT',
    doc: `json, logfmt or human, over log.format of the config (default there: ${schema.log.format.default})`,
    parse: wordFlag(logFormats),
  },
} satisfies Flags;

/** Past the pings' grace, closing sockets and files takes moments; a stop that hangs longer is cut short. */
const STOP_DEADLINE_MS = STOP_GRACE_MS + 3000;

/**
 * `tcpping serve [--config FILE]`: runs until interrupted, then stops in order and returns 0.
 * Anything that stops it from starting is logged in the configured format, not printed beside it.
 * A SIGHUP reloads (coalesced); one during start-up reloads once the service runs, one during
 * shutdown is ignored. A stop that takes longer than STOP_DEADLINE_MS returns 1 anyway.
 */
export async function runServe(args: string[], io: Io): Promise<number> {
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let service: Service | undefined;
  let hupWhileStarting = false;
  const onHup = () => {
    if (phase === 'running') void service?.reload('SIGHUP');
    else if (phase === 'starting') hupWhileStarting = true;
  };
  io.hangup?.addEventListener('hangup', onHup);
  try {
    return await serve(
      args,
      io,
      (started) => {
        service = started;
        phase = 'running';
        if (hupWhileStarting && !io.interrupt?.aborted) void started.reload('SIGHUP during start-up');
      },
      () => {
        phase = 'stopping';
      },
    );
  } finally {
    io.hangup?.removeEventListener('hangup', onHup);
  }
}

async function serve(args: string[], io: Io, started: (service: Service) => void, stopping: () => void): Promise<number> {
  const { values } = parseFlags(serveSpec, serveFlags, args);
  // A flag wins over the file, as an environment variable does: it is passed on as one.
  const env = {
    ...process.env,
    ...(values.logLevel ? { TCPPING_LOG_LEVEL: values.logLevel } : {}),
    ...(values.logFormat ? { TCPPING_LOG_FORMAT: values.logFormat } : {}),
  };
  const fallbackFormat = logFormats.find((f) => f === env.TCPPING_LOG_FORMAT) ?? (schema.log.format.default as LogFormat);
  let config: ReturnType<typeof defaultConfig>;
  try {
    // Read as a reload reads it: its YAML parsed on the parser's thread (config/yaml-module.ts).
    config = values.config === undefined ? defaultConfig(env) : await loadConfigFileAsync(values.config, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The file's own log.format is unknown when the file is broken: the flag or variable, else the default.
    const log = createLogger('info', fallbackFormat, io.log);
    for (const problem of error.problems) log.error({ problem }, problem);
    log.fatal(`cannot start: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in the configuration`);
    return 2;
  }
  const log = createLogger(config.log.level, config.log.format, io.log);
  let service: Service;
  try {
    service = await Service.start(config, { logger: log, watchFiles: true });
  } catch (error) {
    log.fatal({ err: error }, `cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  started(service);
  await untilInterrupted(io);
  stopping();
  log.info('shutting down');
  const stopped = await Promise.race([service.stop().then(() => true), sleep(STOP_DEADLINE_MS).then(() => false)]);
  if (!stopped) {
    log.error({ deadlineMs: STOP_DEADLINE_MS }, 'shutdown did not finish in time; exiting anyway');
    return 1;
  }
  log.info('stopped');
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
