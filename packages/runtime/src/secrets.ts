import { CdpError } from '@cdp/sdk';

/** Reads secret references and remembers the values it handed out, so logs can redact them. */
export interface SecretResolver {
  secret(ref: { env: string }): string;
  /** Every secret value read so far. */
  values(): readonly string[];
}

export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): SecretResolver {
  const seen = new Set<string>();
  return {
    secret(ref) {
      const value = env[ref.env];
      if (!value) throw new CdpError('missing_secret', `environment variable ${ref.env} is not set`);
      seen.add(value);
      return value;
    },
    values: () => [...seen],
  };
}
