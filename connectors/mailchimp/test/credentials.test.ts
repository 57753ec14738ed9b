import { describe, expect, it } from '@jest/globals';
import { InvalidConfigError, InvalidCredentialsError, StaticCatalog, validateConnection } from '@cdp/sdk';
import { resolveCredentials, type BaseUrlPolicy } from '../src/credentials.js';
import { createMailchimpConnector, mailchimpConnector } from '../src/index.js';

const secrets: Record<string, string> = { MC_KEY: '0123456789abcdef0123456789abcdef-us21', MC_TOKEN: 'oauth-token', MC_BAD: 'nodatacentre' };
const read: string[] = [];
const context = {
  secret: (ref: { env: string }): string => {
    read.push(ref.env);
    return secrets[ref.env];
  },
};
const MAILCHIMP_ONLY: BaseUrlPolicy = { allowedBaseUrls: [], allowAnyBaseUrl: false };
const SANDBOX: BaseUrlPolicy = { allowedBaseUrls: ['http://127.0.0.1:4010/3.0'], allowAnyBaseUrl: false };

function failureOf(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** The base URL a connection naming `baseUrl` gets, or the refusal's message. */
function outcome(baseUrl: string, policy: BaseUrlPolicy = MAILCHIMP_ONLY, env: NodeJS.ProcessEnv = {}): string {
  try {
    return resolveCredentials({ apiKey: { env: 'MC_KEY' }, baseUrl }, context, policy, env).baseUrl;
  } catch (error) {
    if (error instanceof InvalidConfigError) return `refused: ${error.problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`;
    throw error;
  }
}

describe('resolving credentials and base URL', () => {
  it("derives the host from the API key's data-centre suffix", () => {
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' } }, context, MAILCHIMP_ONLY, {})).toEqual({
      kind: 'apiKey',
      secret: secrets.MC_KEY,
      baseUrl: 'https://us21.api.mailchimp.com/3.0',
    });
  });

  it('takes the OAuth server prefix for an access token', () => {
    expect(resolveCredentials({ accessToken: { env: 'MC_TOKEN' }, serverPrefix: 'us7' }, context, MAILCHIMP_ONLY, {})).toEqual({
      kind: 'accessToken',
      secret: 'oauth-token',
      baseUrl: 'https://us7.api.mailchimp.com/3.0',
    });
  });

  it('prefers auth.baseUrl, then MAILCHIMP_BASE_URL', () => {
    const env = { MAILCHIMP_BASE_URL: 'http://127.0.0.1:9/3.0/' };
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' } }, context, MAILCHIMP_ONLY, env).baseUrl).toBe('http://127.0.0.1:9/3.0');
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' }, baseUrl: 'http://127.0.0.1:4010/3.0' }, context, SANDBOX, env).baseUrl).toBe('http://127.0.0.1:4010/3.0');
  });

  it('refuses a key without data centre when no base URL is set, without showing the key', () => {
    const refusal = failureOf(() => resolveCredentials({ apiKey: { env: 'MC_BAD' } }, context, MAILCHIMP_ONLY, {}));
    expect(refusal).toBeInstanceOf(InvalidCredentialsError);
    expect((refusal as Error).message).not.toContain('nodatacentre');
    expect(resolveCredentials({ apiKey: { env: 'MC_BAD' } }, context, MAILCHIMP_ONLY, { MAILCHIMP_BASE_URL: 'http://127.0.0.1:9/3.0' }).baseUrl).toBe('http://127.0.0.1:9/3.0');
  });
});

describe('auth.baseUrl: Mailchimp, or what the operator allows', () => {
  it("takes Mailchimp's API hosts without any allowance", () => {
    expect(outcome('https://us21.api.mailchimp.com/3.0/')).toBe('https://us21.api.mailchimp.com/3.0');
    expect(outcome('https://us7.api.mailchimp.com/3.0')).toBe('https://us7.api.mailchimp.com/3.0');
  });

  it('refuses any other host before reading the secret', () => {
    read.length = 0;
    expect(outcome('https://collector.example.net/3.0')).toBe(
      'refused: /auth/baseUrl is neither a Mailchimp API host (https://<dc>.api.mailchimp.com/3.0) nor a base URL the operator allows with MAILCHIMP_ALLOWED_BASE_URLS (now: none); no credentials are sent to it',
    );
    expect(read).toEqual([]);
  });

  it.each([
    ['a longer host name', 'https://us21.api.mailchimp.com.collector.example.net/3.0'],
    ['user info before another host', 'https://us21.api.mailchimp.com@collector.example.net/3.0'],
    ['plain http', 'http://us21.api.mailchimp.com/3.0'],
    ['another port', 'https://us21.api.mailchimp.com:8443/3.0'],
    ["Mailchimp's host in the path", 'https://collector.example.net/us21.api.mailchimp.com/3.0'],
    ['the sandbox on loopback', 'http://127.0.0.1:4010/3.0'],
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s', (_what, baseUrl) => {
    expect(outcome(baseUrl)).toMatch(/^refused: \/auth\/baseUrl /);
  });

  it('takes base URLs at or below one the connector allows, on the same origin', () => {
    expect(outcome('http://127.0.0.1:4010/3.0', SANDBOX)).toBe('http://127.0.0.1:4010/3.0');
    expect(outcome('http://127.0.0.1:4010/3.0/', SANDBOX)).toBe('http://127.0.0.1:4010/3.0');
    expect(outcome('http://127.0.0.1:4011/3.0', SANDBOX)).toMatch(/^refused: .*\(now: http:\/\/127\.0\.0\.1:4010\/3\.0\)/);
    expect(outcome('http://127.0.0.1:4010/3.0x', SANDBOX)).toMatch(/^refused/);
    expect(outcome('https://127.0.0.1:4010/3.0', SANDBOX)).toMatch(/^refused/);
    expect(outcome('https://collector.example.net/3.0', { allowedBaseUrls: [], allowAnyBaseUrl: true })).toBe('https://collector.example.net/3.0');
  });

  it('adds the base URLs of MAILCHIMP_ALLOWED_BASE_URLS, or any with *', () => {
    const env = { MAILCHIMP_ALLOWED_BASE_URLS: ' http://127.0.0.1:4010 , https://proxy.example.com/mailchimp' };
    expect(outcome('http://127.0.0.1:4010/3.0', MAILCHIMP_ONLY, env)).toBe('http://127.0.0.1:4010/3.0');
    expect(outcome('https://proxy.example.com/mailchimp/3.0', MAILCHIMP_ONLY, env)).toBe('https://proxy.example.com/mailchimp/3.0');
    expect(outcome('https://proxy.example.com/other/3.0', MAILCHIMP_ONLY, env)).toMatch(/^refused/);
    expect(outcome('https://collector.example.net/3.0', MAILCHIMP_ONLY, { MAILCHIMP_ALLOWED_BASE_URLS: '*' })).toBe('https://collector.example.net/3.0');
  });

  it("never checks MAILCHIMP_BASE_URL: it is the operator's own setting", () => {
    expect(resolveCredentials({ apiKey: { env: 'MC_KEY' } }, context, MAILCHIMP_ONLY, { MAILCHIMP_BASE_URL: 'http://127.0.0.1:4010/3.0' }).baseUrl).toBe(
      'http://127.0.0.1:4010/3.0',
    );
  });

  it('refuses a connector allowance that is not an http(s) URL', () => {
    expect(() => createMailchimpConnector({ allowedBaseUrls: ['127.0.0.1:4010'] })).toThrow('allowedBaseUrls must be http:// or https:// URLs, got 127.0.0.1:4010');
  });

  it('a config naming a base URL that is not allowed fails validation, at its pointer', async () => {
    const catalog = new StaticCatalog({ segments: ['newsletter'], properties: [{ name: 'email', uniqueIdentifier: true }], objectives: ['newsletter'] });
    const config = {
      id: 'news',
      name: 'News',
      connector: 'mailchimp',
      enabled: true,
      objectives: ['newsletter'],
      auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl: 'https://collector.example.net/3.0' },
      goals: [{ id: 'export', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [] }],
    };
    const refused = await validateConnection(config, { catalog, connectors: [mailchimpConnector] });
    expect(refused).toEqual({ ok: false, problems: [{ pointer: '/auth/baseUrl', message: expect.stringContaining('is neither a Mailchimp API host') }] });
    const allowed = await validateConnection(config, { catalog, connectors: [createMailchimpConnector({ allowedBaseUrls: ['https://collector.example.net'] })] });
    expect(allowed.ok).toBe(true);
  });
});
