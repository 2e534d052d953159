import { pino } from 'pino';
import { humanLine, logfmtLine } from './log-format.js';

export type Logger = pino.Logger;

/** `log.format`: pino's JSON (one object a line), logfmt as Prometheus and its exporters write, or a form for a terminal. */
export const logFormats = ['json', 'logfmt', 'human'] as const;
export type LogFormat = (typeof logFormats)[number];

export type WriteLine = (line: string) => void;
const toStdout: WriteLine = (line) => process.stdout.write(line);

/**
 * Logs on stdout in the chosen format; `err` carries errors, `target` the target's name. Every
 * record goes through pino (levels, child context) and is then written as a line of its format,
 * synchronously, so the last lines before an exit are never lost.
 */
export function createLogger(level: string, format: LogFormat = 'json', write: WriteLine = toStdout): Logger {
  const options = { level, base: { service: 'tcpping' } };
  if (format === 'json') return pino(options, { write });
  const render = format === 'logfmt' ? logfmtLine : humanLine;
  return pino(options, { write: (json: string) => write(render(JSON.parse(json) as Record<string, unknown>)) });
}

export const silentLogger: Logger = pino({ level: 'silent' });
