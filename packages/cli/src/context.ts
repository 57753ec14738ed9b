// The secrets alone, not the run service: every command makes a context, most never run a connection.
import { environmentSecrets, type SecretResolver } from '@cdp/runtime/secrets';
import { createLogger, redact, type Logger, type LogLevel } from '@cdp/sdk';
import { envValue } from './env.js';
import { Output } from './output.js';

/** Options every command accepts. */
export interface GlobalOptions {
  /** The CDP's catalog JSON: segments, properties, objectives, lifecycles. */
  catalog: string;
  /** Connection files or folders of `*.connection.json`, for commands that take a connection id. */
  connections: string[];
  logLevel: LogLevel;
  /** No progress on standard error. */
  quiet?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

/** What every command gets: where to write, the environment, and the secrets it has read so far. */
export interface CliContext {
  output: Output;
  env: NodeJS.ProcessEnv;
  secrets: SecretResolver;
  logger: Logger;
}

/** Environment variables whose values are always masked, even when no connection references them. */
const SECRET_VARIABLES = ['MAILCHIMP_API_KEY'];

/** The operator's list of the variables connections may read (names, or prefixes ending in `*`), comma-separated. */
const SECRET_ALLOW_LIST_VARIABLE = 'CDP_SECRET_ENV';

export function createContext(globals: Pick<GlobalOptions, 'logLevel' | 'quiet' | 'color'>, env: NodeJS.ProcessEnv = process.env, output: Output = new Output()): CliContext {
  const secrets = environmentSecrets(env, { allow: allowedSecretVariables(env) });
  const always = SECRET_VARIABLES.map((name) => envValue(env, name)).filter((value): value is string => value !== undefined);
  const known = (): readonly string[] => [...always, ...secrets.values()];
  output.maskSecrets(known, redact);
  output.quiet = globals.quiet ?? false;
  output.colors = output.interactive && globals.color !== false && envValue(env, 'NO_COLOR') === undefined && env.TERM !== 'dumb';
  const logger = createLogger({ level: globals.logLevel, secrets: known, write: (line) => output.message(line) });
  return { output, env, secrets, logger };
}

/** CDP_SECRET_ENV replaces the default list when set (set but empty counts as unset, as for every variable). */
function allowedSecretVariables(env: NodeJS.ProcessEnv): string[] | undefined {
  const listed = envValue(env, SECRET_ALLOW_LIST_VARIABLE);
  if (listed === undefined) return undefined;
  return listed
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
