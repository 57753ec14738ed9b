import { describe, expect, it } from '@jest/globals';
import { CdpError, InvalidConfigError, type Connection } from '@cdp/sdk';
import { DEFAULT_SECRET_VARIABLES, environmentSecrets, requireSecrets, secretReferences } from '../src/index.js';

const env = {
  MAILCHIMP_API_KEY: 'mailchimp-key-value',
  CDP_SECRET_HOOK: 'hook-secret-value',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
  PARTNER_TOKEN: 'partner-token-value',
};

function refusal(read: () => unknown): CdpError {
  try {
    read();
  } catch (error) {
    if (error instanceof CdpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'news',
    name: 'News',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' } },
    goals: [],
    ...overrides,
  };
}

describe('environment secrets: the operator decides which variables connections may read', () => {
  it('reads Mailchimp variables and the CDP_SECRET_ prefix by default', () => {
    expect(DEFAULT_SECRET_VARIABLES).toEqual(['MAILCHIMP_*', 'CDP_SECRET_*']);
    const secrets = environmentSecrets(env);
    expect(secrets.secret({ env: 'MAILCHIMP_API_KEY' })).toBe('mailchimp-key-value');
    expect(secrets.secret({ env: 'CDP_SECRET_HOOK' })).toBe('hook-secret-value');
    expect(secrets.values()).toEqual(['mailchimp-key-value', 'hook-secret-value']);
  });

  it('refuses any other variable, naming it but never showing its value, and remembers nothing of it', () => {
    const secrets = environmentSecrets(env);
    const error = refusal(() => secrets.secret({ env: 'AWS_SECRET_ACCESS_KEY' }));
    expect(error.code).toBe('missing_secret');
    expect(error.message).toBe('environment variable AWS_SECRET_ACCESS_KEY is not one connections may read (allowed: MAILCHIMP_*, CDP_SECRET_*)');
    expect(error.message).not.toContain('aws-secret-value');
    expect(secrets.values()).toEqual([]);
  });

  it('takes the operator’s list of names and prefixes instead of the default', () => {
    const secrets = environmentSecrets(env, { allow: ['PARTNER_TOKEN', 'MAILCHIMP_*'] });
    expect(secrets.secret({ env: 'PARTNER_TOKEN' })).toBe('partner-token-value');
    expect(secrets.secret({ env: 'MAILCHIMP_API_KEY' })).toBe('mailchimp-key-value');
    // A name is exact: only an entry ending in * is a prefix.
    expect(refusal(() => environmentSecrets(env, { allow: ['PARTNER'] }).secret({ env: 'PARTNER_TOKEN' })).code).toBe('missing_secret');
    expect(refusal(() => secrets.secret({ env: 'CDP_SECRET_HOOK' })).message).toContain('(allowed: PARTNER_TOKEN, MAILCHIMP_*)');
    expect(refusal(() => environmentSecrets(env, { allow: [] }).secret({ env: 'MAILCHIMP_API_KEY' })).message).toContain('(allowed: none)');
  });

  it('says when an allowed variable is not set', () => {
    expect(refusal(() => environmentSecrets({}).secret({ env: 'MAILCHIMP_TOKEN' })).message).toBe('environment variable MAILCHIMP_TOKEN is not set');
  });
});

describe('the secrets a run needs, read before it starts', () => {
  const withHooks = connection({
    notify: [
      { type: 'webhook', url: 'https://hooks.example.com/a' },
      { type: 'webhook', url: 'https://hooks.example.com/b', signingSecret: { env: 'CDP_SECRET_HOOK' } },
    ],
  });

  it('finds the references of the auth and of the webhooks’ signing secrets, with their pointers', () => {
    expect(secretReferences(withHooks)).toEqual([
      { pointer: '/auth/apiKey', ref: { env: 'MAILCHIMP_API_KEY' } },
      { pointer: '/notify/1/signingSecret', ref: { env: 'CDP_SECRET_HOOK' } },
    ]);
  });

  it('passes when every secret can be read', () => {
    expect(() => requireSecrets(withHooks, environmentSecrets(env))).not.toThrow();
  });

  it('refuses with every unreadable secret at its pointer, and no value', () => {
    const config = connection({
      auth: { apiKey: { env: 'AWS_SECRET_ACCESS_KEY' } },
      notify: [{ type: 'webhook', url: 'https://hooks.example.com/a', signingSecret: { env: 'CDP_SECRET_UNSET' } }],
    });
    const error = refusal(() => requireSecrets(config, environmentSecrets(env)));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).problems).toEqual([
      { pointer: '/auth/apiKey/env', message: expect.stringContaining('AWS_SECRET_ACCESS_KEY is not one connections may read') },
      { pointer: '/notify/0/signingSecret/env', message: 'environment variable CDP_SECRET_UNSET is not set' },
    ]);
    expect(error.message).not.toContain('aws-secret-value');
  });
});
