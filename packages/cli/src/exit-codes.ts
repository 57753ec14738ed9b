/** The process exit codes of every command; scripts and CI rely on them. */
export const ExitCode = {
  ok: 0,
  /** The run failed or only partly succeeded. */
  runFailed: 1,
  /** Invalid config, missing file, invalid JSON, unknown connection or goal, missing setting. */
  badInput: 2,
  alreadyRunning: 3,
  /** MongoDB or Mailchimp cannot be reached (or went away), or the credentials are wrong. */
  unreachable: 4,
  /** The run succeeded, but some members or profiles failed (`--allow-failures` makes it 0). */
  recordsFailed: 5,
  /** Stopped by Ctrl-C (SIGINT): 128 + 2, the shell's convention. */
  interrupted: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the command line reports with its own exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const CODES_BY_ERROR: Record<string, ExitCodeValue> = {
  invalid_config: ExitCode.badInput,
  unknown_connection: ExitCode.badInput,
  unknown_connector: ExitCode.badInput,
  unknown_goal: ExitCode.badInput,
  connection_disabled: ExitCode.badInput,
  missing_secret: ExitCode.badInput,
  already_running: ExitCode.alreadyRunning,
  invalid_credentials: ExitCode.unreachable,
  mailchimp_unreachable: ExitCode.unreachable,
  store_failed: ExitCode.unreachable,
  retryable: ExitCode.unreachable,
};

/** MongoDB driver errors that mean the server is not there (by class name: the driver is not imported here). */
const MONGO_UNREACHABLE = ['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError'];

export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof Error && MONGO_UNREACHABLE.includes(error.name)) return ExitCode.unreachable;
  // CdpError and its kinds, by their code: the SDK is not loaded before a command needs it.
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string') return CODES_BY_ERROR[code] ?? ExitCode.runFailed;
  return ExitCode.runFailed;
}
