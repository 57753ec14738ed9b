import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { redact, retry, type Connection, type Logger, type NotificationTarget, type Notifier, type RunReport, type WebhookTarget } from '@cdp/sdk';
import { beforeDeadline, checkedAddress } from './addresses.js';
import type { SecretResolver } from './secrets.js';

export interface WebhookOptions {
  /** Attempts per webhook; default 3. */
  attempts?: number;
  /** First retry delay; doubles each attempt. Default 500 ms. */
  backoffMs?: number;
  /** One attempt, from connecting to the answer's status; default 5 s. */
  timeoutMs?: number;
  /** Every attempt to one webhook together, its DNS lookup included; default 15 s. No run waits longer for its webhooks. */
  totalTimeoutMs?: number;
  /**
   * Lets webhooks reach loopback, link-local, private, shared, unspecified, multicast and reserved addresses (a
   * receiver on this machine or its network). Default false: a connection cannot make the host call into its own
   * network, such as a cloud metadata service.
   */
  allowPrivateAddresses?: boolean;
}

const DEFAULTS: Required<WebhookOptions> = { attempts: 3, backoffMs: 500, timeoutMs: 5_000, totalTimeoutMs: 15_000, allowPrivateAddresses: false };

/** The run summary a webhook receives: counts and errors, never credentials. */
export function runSummary(connection: Connection, report: RunReport): object {
  return {
    connectionId: connection.id,
    connectionName: connection.name,
    runId: report.runId,
    trigger: report.trigger,
    status: report.status,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    error: report.error,
    goals: report.goals.map((goal) => ({
      goalId: goal.goalId,
      kind: goal.kind,
      status: goal.status,
      error: goal.error,
      audiences: goal.audiences.map(({ failures: _failures, ...counts }) => counts),
    })),
    dataExchange: report.dataExchange,
  };
}

/** The connection's targets of one type that this run's outcome goes to (`on`: failure, the default, or always). */
export function notifiedTargets<T extends NotificationTarget['type']>(connection: Connection, report: RunReport, type: T): Extract<NotificationTarget, { type: T }>[] {
  return (connection.notify ?? []).filter(
    (target): target is Extract<NotificationTarget, { type: T }> => target.type === type && ((target.on ?? 'failure') === 'always' || report.status !== 'succeeded'),
  );
}

/** Why one attempt was not delivered, and whether another may be. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

type Attempt = { delivered: true } | { delivered: false; retryable: boolean; reason: string };

/**
 * POSTs the run summary to each webhook target of the connection, retrying with backoff within a bounded time.
 * A target is called at the address its name resolved to when checked, so a second lookup cannot move it into
 * the host's network; redirects are never followed. A webhook that is not delivered is logged, never thrown.
 */
export class WebhookNotifier implements Notifier {
  private readonly options: Required<WebhookOptions>;

  constructor(
    private readonly secrets: SecretResolver,
    private readonly logger: Logger,
    options: WebhookOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  async notify(connection: Connection, report: RunReport): Promise<void> {
    const targets = notifiedTargets(connection, report, 'webhook');
    const body = redact(JSON.stringify(runSummary(connection, report)), this.secrets.values());
    await Promise.all(
      targets.map((target) =>
        this.deliver(target, body).catch((error: unknown) => {
          this.logger.log('warn', 'webhook not delivered', { connectionId: connection.id, url: shownUrl(target.url), reason: describe(error) });
        }),
      ),
    );
  }

  /** Resolves once delivered; rejects with the reason it was not. */
  private async deliver(target: WebhookTarget, body: string): Promise<void> {
    const deadline = Date.now() + this.options.totalTimeoutMs;
    const headers = this.headers(target, body);
    const url = new URL(target.url);
    const address = await beforeDeadline(checkedAddress(url.hostname, this.options.allowPrivateAddresses, 'webhooks'), deadline, 'its host name was not resolved in time');
    await retry(
      async () => {
        const outcome = await post(url, address, body, headers, Math.max(1, Math.min(this.options.timeoutMs, deadline - Date.now())));
        if (!outcome.delivered) throw new DeliveryFailure(outcome.reason, outcome.retryable);
      },
      { attempts: this.options.attempts, backoffMs: this.options.backoffMs, deadline, retryable: (error) => !(error instanceof DeliveryFailure) || error.retryable },
    );
  }

  private headers(target: WebhookTarget, body: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (target.signingSecret) {
      headers['x-cdp-signature'] = `sha256=${createHmac('sha256', this.secrets.secret(target.signingSecret)).update(body).digest('hex')}`;
    }
    return headers;
  }
}

/** One POST over a fresh connection to the checked address; only the status is read. */
function post(url: URL, address: LookupAddress, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const options = { method: 'POST', headers, agent: false, lookup: pinnedLookup(address), signal: AbortSignal.timeout(timeoutMs) };
    const request = send(url, options, (response) => {
      // The body is never read: one that never ends must not hold the run.
      response.destroy();
      resolve(attemptOf(response.statusCode ?? 0));
    });
    request.on('error', (error) => {
      resolve({ delivered: false, retryable: true, reason: error.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : error.message });
    });
    request.end(body);
  });
}

function attemptOf(status: number): Attempt {
  if (status >= 200 && status < 300) return { delivered: true };
  if (status >= 300 && status < 400) return { delivered: false, retryable: false, reason: `it answered ${status}, a redirect, which is never followed` };
  return { delivered: false, retryable: status === 429 || status >= 500, reason: `it answered ${status}` };
}

/** Answers every lookup of the connection with the address that was checked. */
function pinnedLookup({ address, family }: LookupAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** The target without user info or query, which may carry credentials. */
function shownUrl(url: string): string {
  try {
    const { origin, pathname } = new URL(url);
    return origin + pathname;
  } catch {
    return '(not a URL)';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
