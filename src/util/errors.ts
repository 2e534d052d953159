/** The stable codes of exceptional failures; scripts and tests match on these, not on messages. */
export const errorCodes = ['ERR_CONFIG', 'ERR_LISTEN', 'ERR_USAGE', 'ERR_ICMP_CAPTURE'] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** Exceptional failures carry a stable `code`; expected probe failures are values, not errors. */
export class TcppingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configuration that cannot be used; `problems` lists every one, each naming file and key. */
export class ConfigError extends TcppingError {
  override name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('ERR_CONFIG', problems.join('\n'), options);
  }
}

export class ListenError extends TcppingError {
  override name = 'ListenError';
  constructor(what: string, address: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_LISTEN', `cannot listen for ${what} on ${address}: ${reason}`, { cause });
  }
}

export class UsageError extends TcppingError {
  override name = 'UsageError';
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}
