import { InvalidConfigError, InvalidCredentialsError, type ConfigProblem, type ConnectContext } from '@cdp/sdk';
import type { MailchimpAuth } from './generated-types.js';

/** What a session needs to reach one Mailchimp account. `secret` must never be logged or shown. */
export interface Credentials {
  kind: 'apiKey' | 'accessToken';
  secret: string;
  baseUrl: string;
}

/**
 * Which base URLs a connection's `auth.baseUrl` may name besides Mailchimp's API hosts: the operator's decision,
 * since the connection's credentials go to that host.
 */
export interface BaseUrlPolicy {
  /** Base URLs whose origin and path a connection's base URL must share (a sandbox, a proxy). */
  allowedBaseUrls: readonly string[];
  /** Any base URL: only where connection files are as trusted as the operator. */
  allowAnyBaseUrl: boolean;
}

/** The operator's base URLs, comma-separated; `*` allows any. Added to the connector's own policy. */
export const ALLOWED_BASE_URLS_VARIABLE = 'MAILCHIMP_ALLOWED_BASE_URLS';

const MAILCHIMP_API_HOST = /^[a-z]{2}[0-9]{1,3}\.api\.mailchimp\.com$/;

/**
 * Reads the secret and decides the base URL: auth.baseUrl, else MAILCHIMP_BASE_URL, else the data centre's
 * host (an API key's suffix after its last '-', or the OAuth server prefix). An auth.baseUrl the policy does not
 * allow is refused before the secret is read.
 */
export function resolveCredentials(
  auth: MailchimpAuth,
  context: Pick<ConnectContext, 'secret'>,
  policy: BaseUrlPolicy,
  env: NodeJS.ProcessEnv = process.env,
): Credentials {
  const problems = baseUrlProblems(auth, policy, env);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  // Set but empty (or blank) is unset, as for every variable.
  const override = auth.baseUrl ?? (env.MAILCHIMP_BASE_URL?.trim() || undefined);
  if ('apiKey' in auth) {
    const secret = context.secret(auth.apiKey).trim();
    return { kind: 'apiKey', secret, baseUrl: stripSlash(override ?? dataCentreUrl(apiKeyDataCentre(secret))) };
  }
  const secret = context.secret(auth.accessToken).trim();
  return { kind: 'accessToken', secret, baseUrl: stripSlash(override ?? dataCentreUrl(auth.serverPrefix)) };
}

/**
 * An auth.baseUrl that is neither one of Mailchimp's API hosts (https://<dc>.api.mailchimp.com) nor allowed by
 * the policy or MAILCHIMP_ALLOWED_BASE_URLS, as a problem at its pointer in the connection.
 */
export function baseUrlProblems(auth: MailchimpAuth, policy: BaseUrlPolicy, env: NodeJS.ProcessEnv = process.env): ConfigProblem[] {
  if (auth.baseUrl === undefined || policy.allowAnyBaseUrl) return [];
  const url = parsedUrl(auth.baseUrl);
  if (url && isMailchimpApi(url)) return [];
  const allowed = [...policy.allowedBaseUrls, ...listed(env[ALLOWED_BASE_URLS_VARIABLE])];
  if (allowed.includes('*') || (url && allowed.some((base) => isUnder(url, base)))) return [];
  const now = allowed.length > 0 ? allowed.join(', ') : 'none';
  return [
    {
      pointer: '/auth/baseUrl',
      message: `is neither a Mailchimp API host (https://<dc>.api.mailchimp.com/3.0) nor a base URL the operator allows with ${ALLOWED_BASE_URLS_VARIABLE} (now: ${now}); no credentials are sent to it`,
    },
  ];
}

/** Throws on an entry of the connector's own policy that is not an http(s) URL, so a typo cannot go unnoticed. */
export function assertBaseUrls(urls: readonly string[]): void {
  const invalid = urls.filter((base) => !parsedUrl(base));
  if (invalid.length > 0) throw new TypeError(`allowedBaseUrls must be http:// or https:// URLs, got ${invalid.join(', ')}`);
}

function isMailchimpApi(url: URL): boolean {
  return url.protocol === 'https:' && url.port === '' && MAILCHIMP_API_HOST.test(url.hostname);
}

/** Same origin, and a path at or below the allowed one (`/3.0` allows `/3.0` and `/3.0/…`, not `/3.0x`). */
function isUnder(url: URL, base: string): boolean {
  const allowed = parsedUrl(base);
  if (!allowed || url.origin !== allowed.origin) return false;
  const root = stripSlash(allowed.pathname);
  return url.pathname === root || url.pathname.startsWith(`${root}/`);
}

function parsedUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function listed(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
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
