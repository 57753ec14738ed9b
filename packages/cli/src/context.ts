import { environmentSecrets, type SecretResolver } from '@cdp/runtime';
import { createLogger, type Logger, type LogLevel } from '@cdp/sdk';
import { Output } from './output.js';

/** Options every command accepts. */
export interface GlobalOptions {
  /** The CDP's catalog JSON: segments, properties, objectives, lifecycles. */
  catalog: string;
  /** Connection files or folders of `*.connection.json`, for commands that take a connection id. */
  connections: string[];
  logLevel: LogLevel;
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

export function createContext(logLevel: LogLevel, env: NodeJS.ProcessEnv = process.env, output: Output = new Output()): CliContext {
  const secrets = environmentSecrets(env, { allow: allowedSecretVariables(env) });
  const always = SECRET_VARIABLES.map((name) => env[name]).filter((value): value is string => Boolean(value));
  const known = (): readonly string[] => [...always, ...secrets.values()];
  output.maskSecrets(known);
  const logger = createLogger({ level: logLevel, secrets: known, write: (line) => output.message(line) });
  return { output, env, secrets, logger };
}

/** CDP_SECRET_ENV replaces the default list when set (empty: connections may read no variable). */
function allowedSecretVariables(env: NodeJS.ProcessEnv): string[] | undefined {
  const listed = env[SECRET_ALLOW_LIST_VARIABLE];
  if (listed === undefined) return undefined;
  return listed
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
