import { CdpError, InvalidConfigError, type ConfigProblem, type Connection } from '@cdp/sdk';

/** Reads secret references and remembers the values it handed out, so logs can redact them. */
export interface SecretResolver {
  /** The referenced variable's value; throws CdpError('missing_secret') when it is unset or not one connections may read. */
  secret(ref: { env: string }): string;
  /** Every secret value read so far. */
  values(): readonly string[];
}

/**
 * The variables connections may read unless the operator lists others: Mailchimp credentials, and the
 * project's own prefix for any other secret a connection names (a webhook signing secret).
 */
export const DEFAULT_SECRET_VARIABLES: readonly string[] = ['MAILCHIMP_*', 'CDP_SECRET_*'];

export interface EnvironmentSecretsOptions {
  /**
   * The environment variables connections may read: exact names, or prefixes ending in `*` (`MAILCHIMP_*`).
   * Default DEFAULT_SECRET_VARIABLES. A connection naming any other variable is refused, whatever it holds.
   */
  allow?: readonly string[];
}

export function environmentSecrets(env: NodeJS.ProcessEnv = process.env, options: EnvironmentSecretsOptions = {}): SecretResolver {
  const allow = options.allow ?? DEFAULT_SECRET_VARIABLES;
  const seen = new Set<string>();
  return {
    secret(ref) {
      if (!allow.some((entry) => matchesVariable(entry, ref.env))) {
        throw new CdpError('missing_secret', `environment variable ${ref.env} is not one connections may read (allowed: ${allow.join(', ') || 'none'})`);
      }
      const value = env[ref.env];
      if (!value?.trim()) throw new CdpError('missing_secret', `environment variable ${ref.env} is not set`);
      seen.add(value);
      return value;
    },
    values: () => [...seen],
  };
}

/** A secret reference in a connection, and where it sits (JSON pointer). */
export interface SecretReference {
  pointer: string;
  ref: { env: string };
}

/**
 * Every secret a run of the connection may read: those its auth names, its databases' URLs, its webhooks' signing
 * secrets and its email targets' SMTP passwords.
 */
export function secretReferences(connection: Connection): SecretReference[] {
  const webhooks = (connection.notify ?? []).flatMap((target, index) => {
    if (target.type === 'email') return target.smtp.password ? [{ pointer: `/notify/${index}/smtp/password`, ref: target.smtp.password }] : [];
    return target.signingSecret ? [{ pointer: `/notify/${index}/signingSecret`, ref: target.signingSecret }] : [];
  });
  const databases = Object.entries(connection.databases ?? {}).flatMap(([name, database]) => (database ? [{ pointer: `/databases/${name}/url`, ref: database.url }] : []));
  return [...referencesIn(connection.auth, '/auth'), ...databases, ...webhooks];
}

/**
 * Reads every secret a run of the connection may need, so that an unset or refused variable stops the run before
 * it writes or sends anything, rather than after its writes. Refuses with every problem at its pointer.
 */
export function requireSecrets(connection: Connection, secrets: SecretResolver): void {
  const problems: ConfigProblem[] = [];
  for (const { pointer, ref } of secretReferences(connection)) {
    try {
      secrets.secret(ref);
    } catch (error) {
      if (!(error instanceof CdpError && error.code === 'missing_secret')) throw error;
      problems.push({ pointer: `${pointer}/env`, message: error.message });
    }
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
}

/** A secret reference is an object holding only `env`, a variable name (the schemas' secretRef). */
function referencesIn(value: unknown, pointer: string): SecretReference[] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0] === 'env' && typeof entries[0][1] === 'string') return [{ pointer, ref: value as { env: string } }];
  return entries.flatMap(([key, inner]) => referencesIn(inner, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`));
}

function matchesVariable(entry: string, name: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}
