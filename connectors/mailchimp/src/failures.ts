import { CdpError } from '@cdp/sdk';

/** A request Mailchimp refused for good (4xx other than 401 and throttling): retrying cannot help. */
export class MailchimpApiError extends CdpError {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super('mailchimp_request', `Mailchimp ${operation} failed: ${status} ${title}${detail ? ` (${detail})` : ''}`);
  }
}

/** What to do about a failed request. Descriptions hold only status, title and detail, never headers. */
export type Failure =
  | { kind: 'retry'; description: string; retryAfterMs?: number }
  | { kind: 'credentials'; description: string }
  | { kind: 'permanent'; status: number; title: string; detail: string }
  | { kind: 'unreachable'; description: string };

/** The fields of a superagent error this connector reads. */
interface HttpFailure {
  status?: number;
  code?: string;
  timeout?: number;
  message?: string;
  response?: { body?: unknown; text?: string; headers?: Record<string, string | undefined> };
}

const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ETIME', 'EPIPE', 'EAI_AGAIN']);

export function classifyFailure(error: unknown): Failure {
  const failure = (error ?? {}) as HttpFailure;
  const status = failure.status;
  if (typeof status !== 'number') {
    const code = failure.code ?? 'unknown';
    if (failure.timeout !== undefined) return { kind: 'retry', description: `timed out after ${failure.timeout} ms` };
    if (RETRYABLE_NETWORK_CODES.has(code)) return { kind: 'retry', description: `connection failed (${code})` };
    return { kind: 'unreachable', description: `cannot reach Mailchimp (${code})` };
  }
  const { title, detail } = problem(failure.response);
  const description = `${status} ${title}`;
  const retryAfterMs = parseRetryAfter(failure.response?.headers?.['retry-after']);
  if (status === 429 || status >= 500) return { kind: 'retry', description, retryAfterMs };
  // Under very high load Mailchimp answers 403 without a body: throttling, not a refusal.
  if (status === 403 && !hasBody(failure.response)) return { kind: 'retry', description, retryAfterMs };
  if (status === 401) return { kind: 'credentials', description };
  return { kind: 'permanent', status, title, detail };
}

function problem(response: HttpFailure['response']): { title: string; detail: string } {
  const body = (response?.body ?? {}) as { title?: unknown; detail?: unknown };
  return {
    title: typeof body.title === 'string' ? body.title : 'Error',
    detail: typeof body.detail === 'string' ? body.detail : '',
  };
}

function hasBody(response: HttpFailure['response']): boolean {
  return Boolean(response?.text?.trim());
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
