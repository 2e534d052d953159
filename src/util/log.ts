import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; `err` carries errors, `target` the target's name. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tcpping' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
