import { InvalidCredentialsError, type ConnectContext } from '@cdp/sdk';
import type { MailchimpAuth } from './generated-types.js';

/** What a session needs to reach one Mailchimp account. `secret` must never be logged or shown. */
export interface Credentials {
  kind: 'apiKey' | 'accessToken';
  secret: string;
  baseUrl: string;
}

/**
 * Reads the secret and decides the base URL: auth.baseUrl, else MAILCHIMP_BASE_URL, else the data centre's
 * host (an API key's suffix after its last '-', or the OAuth server prefix).
 */
export function resolveCredentials(
  auth: MailchimpAuth,
  context: Pick<ConnectContext, 'secret'>,
  env: NodeJS.ProcessEnv = process.env,
): Credentials {
  const override = auth.baseUrl ?? env.MAILCHIMP_BASE_URL;
  if ('apiKey' in auth) {
    const secret = context.secret(auth.apiKey).trim();
    return { kind: 'apiKey', secret, baseUrl: stripSlash(override ?? dataCentreUrl(apiKeyDataCentre(secret))) };
  }
  const secret = context.secret(auth.accessToken).trim();
  return { kind: 'accessToken', secret, baseUrl: stripSlash(override ?? dataCentreUrl(auth.serverPrefix)) };
}

function apiKeyDataCentre(apiKey: string): string {
  const dash = apiKey.lastIndexOf('-');
  const dc = dash > 0 ? apiKey.slice(dash + 1) : '';
  if (!/^[a-z]{2}[0-9]{1,3}$/.test(dc)) {
    throw new InvalidCredentialsError('The Mailchimp API key has no data-centre suffix (such as -us21) and no base URL is set');
  }
  return dc;
}

function dataCentreUrl(dc: string): string {
  return `https://${dc}.api.mailchimp.com/3.0`;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
