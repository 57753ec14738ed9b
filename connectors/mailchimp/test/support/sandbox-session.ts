import type { ConnectorSession, LogLevel } from '@cdp/sdk';
import { startSandbox, type Sandbox, type SandboxOptions } from '@cdp/mailchimp-sandbox';
import { createMailchimpConnector, type MailchimpConnectorOptions } from '../../src/index.js';

export const KEY_A = '0123456789abcdef0123456789abcdef-us21';
export const KEY_B = 'fedcba9876543210fedcba9876543210-us21';

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/** A sandbox that also tallies the HTTP status of every API answer it writes. */
export interface TestSandbox {
  sandbox: Sandbox;
  statuses: number[];
  count(status: number): number;
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const statuses: number[] = [];
  const sandbox = await startSandbox({ ...options, onResponse: (exchange) => statuses.push(exchange.status) });
  return { sandbox, statuses, count: (status) => statuses.filter((s) => s === status).length };
}

/** Test retries back off in milliseconds instead of seconds. */
export const FAST_RETRY: MailchimpConnectorOptions = { retry: { maxRetries: 6, baseDelayMs: 5, maxDelayMs: 40 } };

/** Opens a session of the connector for `apiKey` on the sandbox; its log lines land in `logs`. */
export async function connect(
  sandbox: Sandbox,
  apiKey: string = KEY_A,
  options: MailchimpConnectorOptions = FAST_RETRY,
  logs: LogRecord[] = [],
): Promise<ConnectorSession> {
  const connector = createMailchimpConnector({ ...options, allowedBaseUrls: [sandbox.baseUrl] });
  return connector.connect(
    { apiKey: { env: 'MAILCHIMP_TEST_KEY' }, baseUrl: sandbox.baseUrl },
    { secret: () => apiKey, logger: { log: (level, message, fields) => logs.push({ level, message, fields }) } },
  );
}

/** Every page of an async stream, flattened. */
export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

/** The rejection of a promise that must fail. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
