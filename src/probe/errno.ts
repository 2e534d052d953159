import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import type { LossReason } from '../domain/ping.js';

/** Maps the errno of a failed connection to the loss reason users see. */
const reasonByCode: Record<string, LossReason> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EACCES: 'unreachable',
  EPERM: 'unreachable',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
};

/** The OS's own words for an errno, as the seed prints them: number and text. */
function describeErrno(err: NodeJS.ErrnoException): string | undefined {
  if (typeof err.errno !== 'number') return undefined;
  const entry = getSystemErrorMap().get(err.errno);
  return entry ? `${entry[0]} (errno ${Math.abs(err.errno)}): ${entry[1]}` : undefined;
}

export function reasonForError(error: unknown): { reason: LossReason; errno?: string; detail: string } {
  const err = error as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const reason = (code && reasonByCode[code]) || 'error';
  const detail = (err instanceof Error && describeErrno(err)) || (err instanceof Error ? err.message : String(error));
  return code ? { reason, errno: code, detail } : { reason, detail };
}

/** An error like node:net's for a positive errno the kernel reported (SO_ERROR), so it reads the same as theirs. */
export function systemError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno: -errno, syscall });
}
