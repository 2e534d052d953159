import { probeModes } from '../probe/types.js';
import { addressFamilies } from '../scheduler/resolve.js';
import { parseHostPort } from '../util/hostport.js';

/**
 * Value checks shared by the convict schema and the per-target overrides. Each throws an Error whose
 * message completes "KEY: ..." and convict appends ": value was X".
 */
export type Check = (value: unknown) => void;

export function integer(min: number, max: number): Check {
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`must be an integer from ${min} to ${max}`);
    }
  };
}

export function number(min: number, max: number): Check {
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new Error(`must be a number from ${min} to ${max}`);
    }
  };
}

export const boolean: Check = (value) => {
  if (typeof value !== 'boolean') throw new Error('must be true or false');
};

export function oneOf(options: readonly string[]): Check {
  return (value) => {
    if (typeof value !== 'string' || !options.includes(value)) {
      throw new Error(`must be one of ${options.map((o) => `"${o}"`).join(', ')}`);
    }
  };
}

/** A listen address; port 0 asks the kernel for any free port. */
export const listenAddress: Check = (value) => {
  if (typeof value !== 'string') throw new Error('must be a string HOST:PORT');
  const parsed = parseHostPort(value, undefined, true);
  if (typeof parsed === 'string') throw new Error(`must be HOST:PORT (${parsed})`);
};

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const captureModes = ['auto', 'on', 'off'] as const;

/** The settings a target may override, with the check each value must pass. */
export const targetSettingChecks = {
  mode: oneOf(probeModes),
  count: integer(1, 100_000),
  intervalMs: integer(100, 86_400_000),
  pingIntervalMs: integer(0, 3_600_000),
  timeoutMs: integer(1, 600_000),
  reuseConnection: boolean,
  family: oneOf(addressFamilies),
} satisfies Record<string, Check>;

export const stringList: Check = (value) => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new Error('must be a list of non-empty strings');
  }
};

/** A host name or address without a port, or empty for "not set". */
export const optionalHost: Check = (value) => {
  if (typeof value !== 'string' || (value !== '' && !/^[A-Za-z0-9.\-_:%]+$/.test(value))) {
    throw new Error('must be a host name or address, or empty');
  }
};

export const anyString: Check = (value) => {
  if (typeof value !== 'string') throw new Error('must be a string');
};

/** Prometheus label names; the ones tcpping sets itself are reserved. */
export const reservedLabels = ['target', 'address', 'mode', 'instance', 'job'];
export function checkLabels(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a mapping of label names to strings';
  for (const [name, v] of Object.entries(value)) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__')) return `"${name}" is not a valid label name`;
    if (reservedLabels.includes(name)) return `"${name}" is a label tcpping sets itself`;
    if (typeof v !== 'string') return `label "${name}" must be a string`;
  }
  return undefined;
}
