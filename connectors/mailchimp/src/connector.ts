import { readFileSync } from 'node:fs';
import type { Connector } from '@cdp/sdk';
import { assertBaseUrls, baseUrlProblems, resolveCredentials, type BaseUrlPolicy } from './credentials.js';
import type { MailchimpAuth } from './generated-types.js';
import { MAX_IN_FLIGHT_PER_KEY } from './key-limiter.js';
import type { RetryPolicy } from './requests.js';
import { openSession } from './session.js';

export interface MailchimpConnectorOptions {
  /** Requests in flight per API key for this connector's sessions; 1 to 10 (Mailchimp's limit), default 10. */
  maxInFlight?: number;
  /** Milliseconds before a request is abandoned (and retried); default 30 000. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Base URLs besides Mailchimp's API hosts that a connection's `auth.baseUrl` may name (a sandbox, a proxy): a
   * base URL must have one's origin and lie at or below its path. MAILCHIMP_ALLOWED_BASE_URLS adds to them.
   */
  allowedBaseUrls?: readonly string[];
  /** Any `auth.baseUrl` is allowed: only where connection files are as trusted as the operator (tests). */
  allowAnyBaseUrl?: boolean;
}

const DEFAULT_RETRY: RetryPolicy = { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** The package's copy of schemas/mailchimp-auth.schema.json (made by the build), which the connection schema also references. */
const authSchema: object = JSON.parse(readFileSync(new URL('../schemas/mailchimp-auth.schema.json', import.meta.url), 'utf8'));

/** The Mailchimp connector with its own limits; `mailchimpConnector` is the default one. */
export function createMailchimpConnector(options: MailchimpConnectorOptions = {}): Connector<MailchimpAuth> {
  const maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT_PER_KEY;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_PER_KEY) {
    throw new RangeError(`maxInFlight must be an integer from 1 to ${MAX_IN_FLIGHT_PER_KEY}, got ${maxInFlight}`);
  }
  const sessionOptions = { maxInFlight, timeoutMs: options.timeoutMs ?? 30_000, retry: { ...DEFAULT_RETRY, ...options.retry } };
  const policy: BaseUrlPolicy = { allowedBaseUrls: options.allowedBaseUrls ?? [], allowAnyBaseUrl: options.allowAnyBaseUrl ?? false };
  assertBaseUrls(policy.allowedBaseUrls);
  return {
    id: 'mailchimp',
    title: 'Mailchimp',
    authSchema,
    goalKinds: ['import', 'export'],
    authProblems: (auth) => baseUrlProblems(auth, policy),
    async connect(auth, context) {
      return openSession(resolveCredentials(auth, context, policy), sessionOptions, context.logger, context.leases);
    },
  };
}

export const mailchimpConnector: Connector<MailchimpAuth> = createMailchimpConnector();
