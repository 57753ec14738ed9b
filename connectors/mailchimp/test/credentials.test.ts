import { describe, expect, it } from '@jest/globals';
import { InvalidCredentialsError } from '@cdp/sdk';
import { resolveCredentials } from '../src/credentials.js';

const secrets: Record<string, string> = { MC_KEY: '0123456789abcdef0123456789abcdef-us21', MC_TOKEN: 'oauth-token', MC_BAD: 'nodatacentre' };
const context = { secret: (ref: { env: string }): string => secrets[ref.env] };

describe('resolving credentials and base URL', () => {
  it("derives the host from the API key's data-centre suffix", () => {
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' } }, context, {})).toEqual({
      kind: 'apiKey',
      secret: secrets.MC_KEY,
      baseUrl: 'https://us21.api.mailchimp.com/3.0',
    });
  });

  it('takes the OAuth server prefix for an access token', () => {
    expect(resolveCredentials({ accessToken: { env: 'MC_TOKEN' }, serverPrefix: 'us7' }, context, {})).toEqual({
      kind: 'accessToken',
      secret: 'oauth-token',
      baseUrl: 'https://us7.api.mailchimp.com/3.0',
    });
  });

  it('prefers auth.baseUrl, then MAILCHIMP_BASE_URL', () => {
    const env = { MAILCHIMP_BASE_URL: 'http://127.0.0.1:9/3.0/' };
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' } }, context, env).baseUrl).toBe('http://127.0.0.1:9/3.0');
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' }, baseUrl: 'http://localhost:1/3.0' }, context, env).baseUrl).toBe('http://localhost:1/3.0');
  });

  it('refuses a key without data centre when no base URL is set, without showing the key', () => {
    const refusal = (() => {
      try {
        resolveCredentials({ apiKey: { env: 'MC_BAD' } }, context, {});
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(InvalidCredentialsError);
    expect((refusal as Error).message).not.toContain('nodatacentre');
    expect(resolveCredentials({ apiKey: { env: 'MC_BAD' } }, context, { MAILCHIMP_BASE_URL: 'http://127.0.0.1:9/3.0' }).baseUrl).toBe('http://127.0.0.1:9/3.0');
  });
});
