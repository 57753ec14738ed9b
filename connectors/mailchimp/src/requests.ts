import { setTimeout as sleep } from 'node:timers/promises';
import { CdpError, InvalidCredentialsError, RetryableError, type CallStats, type Logger } from '@cdp/sdk';
import type { OfficialClient } from './official-client.js';
import { classifyFailure, MailchimpApiError, type Failure } from './failures.js';
import type { KeyGate } from './key-limiter.js';

export interface RetryPolicy {
  /** Further attempts after the first one. */
  maxRetries: number;
  /** Backoff step before the first retry; doubles each time, with jitter. */
  baseDelayMs: number;
  /** Ceiling of the backoff (a longer Retry-After is still honoured, up to `maxRetryAfterMs`). */
  maxDelayMs: number;
  /**
   * The longest Retry-After a run waits for; a longer one fails the call at once as retryable (the next run
   * tries again) instead of holding the run for as long as the server asks.
   */
  maxRetryAfterMs: number;
}

export interface RequestOptions {
  maxInFlight: number;
  retry: RetryPolicy;
}

export type Send = (client: OfficialClient) => Promise<unknown>;

/**
 * Every call to Mailchimp goes through here: it holds one of the key's slots (see `keyGate`) while the request
 * runs (not while it backs off), retries what is worth retrying and counts calls for the run report.
 */
export class MailchimpRequests {
  private apiCalls = 0;
  private retries = 0;
  private closed = false;

  constructor(
    private readonly client: OfficialClient,
    private readonly gate: KeyGate,
    private readonly options: RequestOptions,
    private readonly logger: Logger,
    /** Removes the secret from any text that came back from the server. */
    private readonly redact: (text: string) => string,
  ) {}

  /** Sends one request; `operation` (e.g. "GET /lists/{list_id}/members") names it in errors and logs. */
  async call<T>(operation: string, send: Send): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new CdpError('session_closed', 'The Mailchimp session is closed');
      const release = await this.gate.acquire(this.options.maxInFlight);
      let failure: Failure;
      try {
        this.apiCalls++;
        return (await send(this.client)) as T;
      } catch (error) {
        failure = classifyFailure(error);
      } finally {
        release();
      }
      switch (failure.kind) {
        case 'credentials':
          throw new InvalidCredentialsError(`Mailchimp refused the credentials (${this.redact(failure.description)})`);
        case 'permanent':
          throw new MailchimpApiError(operation, failure.status, this.redact(failure.title), this.redact(failure.detail));
        case 'unreachable':
          throw new CdpError('mailchimp_unreachable', `Mailchimp ${operation} failed: ${failure.description}`);
      }
      const description = this.redact(failure.description);
      if (attempt >= this.options.retry.maxRetries) {
        throw new RetryableError(`Mailchimp ${operation} failed after ${attempt + 1} attempts: ${description}`, failure.retryAfterMs);
      }
      const { maxRetryAfterMs } = this.options.retry;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs) {
        throw new RetryableError(
          `Mailchimp ${operation} asked to wait ${Math.ceil(failure.retryAfterMs / 1000)} s before retrying, longer than the ` +
            `${Math.ceil(maxRetryAfterMs / 1000)} s a run waits: ${description}`,
          failure.retryAfterMs,
        );
      }
      const delayMs = this.backoff(attempt, failure.retryAfterMs);
      this.retries++;
      this.logger.log('warn', 'Mailchimp request will be retried', { operation, reason: description, attempt: attempt + 1, delayMs });
      await sleep(delayMs);
    }
  }

  stats(): CallStats {
    return { apiCalls: this.apiCalls, retries: this.retries };
  }

  close(): void {
    this.closed = true;
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    // Equal jitter: at least half the exponential step, so a throttled burst does spread out.
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
    const jittered = step / 2 + (Math.random() * step) / 2;
    return Math.round(Math.max(jittered, retryAfterMs ?? 0));
  }
}
