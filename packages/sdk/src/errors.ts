/** One problem in a config: where (JSON pointer) and what, in plain words. */
export interface ConfigProblem {
  pointer: string;
  message: string;
}

/** Base of every error the engine acts on; `code` is stable and machine-readable. */
export class CdpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Worth another try later: throttling, 5xx, resets, timeouts. */
export class RetryableError extends CdpError {
  constructor(
    message: string,
    /** The server's Retry-After, when it gave one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('retryable', message, options);
  }
}

/** The external system refused the credentials: the whole goal stops, nothing is retried. */
export class InvalidCredentialsError extends CdpError {
  constructor(message: string) {
    super('invalid_credentials', message);
  }
}

/** A config that cannot run; lists every problem. Nothing was read or written. */
export class InvalidConfigError extends CdpError {
  constructor(readonly problems: ConfigProblem[]) {
    super('invalid_config', `Invalid config:\n${problems.map((p) => `  ${p.pointer || '/'}: ${p.message}`).join('\n')}`);
  }
}

/** Another run of the connection holds the lock. */
export class AlreadyRunningError extends CdpError {
  constructor(
    readonly connectionId: string,
    readonly since: Date,
  ) {
    super('already_running', `Connection ${connectionId} is already running since ${since.toISOString()}`);
  }
}
