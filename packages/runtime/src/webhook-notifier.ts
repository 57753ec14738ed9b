import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, type LookupFunction } from 'node:net';
import { redact, type Connection, type Logger, type NotificationTarget, type Notifier, type RunReport } from '@cdp/sdk';
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

/** The host's own and internal networks; IPv4-mapped IPv6 addresses are checked as IPv4. */
const NON_PUBLIC_NETWORKS: [network: string, prefix: number, type: 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // unspecified, "this network"
  ['10.0.0.0', 8, 'ipv4'], // private
  ['100.64.0.0', 10, 'ipv4'], // shared (carrier-grade NAT), where some clouds serve metadata
  ['127.0.0.0', 8, 'ipv4'], // loopback
  ['169.254.0.0', 16, 'ipv4'], // link-local, where most clouds serve metadata
  ['172.16.0.0', 12, 'ipv4'], // private
  ['192.168.0.0', 16, 'ipv4'], // private
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['::1', 128, 'ipv6'], // loopback
  ['fc00::', 7, 'ipv6'], // unique local (private)
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
];

const NON_PUBLIC = new BlockList();
for (const [network, prefix, type] of NON_PUBLIC_NETWORKS) NON_PUBLIC.addSubnet(network, prefix, type);

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
    const targets = (connection.notify ?? []).filter((target) => (target.on ?? 'failure') === 'always' || report.status !== 'succeeded');
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
  private async deliver(target: NotificationTarget, body: string): Promise<void> {
    const deadline = Date.now() + this.options.totalTimeoutMs;
    const headers = this.headers(target, body);
    const url = new URL(target.url);
    const address = await beforeDeadline(this.checkedAddress(url), deadline, 'its host name was not resolved in time');
    let delay = this.options.backoffMs;
    for (let attempt = 1; ; attempt++) {
      const outcome = await post(url, address, body, headers, Math.max(1, Math.min(this.options.timeoutMs, deadline - Date.now())));
      if (outcome.delivered) return;
      const pause = Math.min(delay, deadline - Date.now());
      if (!outcome.retryable || attempt === this.options.attempts || pause <= 0) throw new Error(outcome.reason);
      await new Promise((resolve) => setTimeout(resolve, pause));
      if (Date.now() >= deadline) throw new Error(outcome.reason);
      delay *= 2;
    }
  }

  private headers(target: NotificationTarget, body: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (target.signingSecret) {
      headers['x-cdp-signature'] = `sha256=${createHmac('sha256', this.secrets.secret(target.signingSecret)).update(body).digest('hex')}`;
    }
    return headers;
  }

  /** The address the target is called at; refused when any address of its name is not public, unless allowed. */
  private async checkedAddress(url: URL): Promise<LookupAddress> {
    const addresses = await lookup(url.hostname.replace(/^\[|\]$/g, ''), { all: true, verbatim: true });
    const internal = addresses.find(({ address, family }) => NON_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4'));
    if (internal && !this.options.allowPrivateAddresses) {
      throw new Error(`${url.hostname} is at ${internal.address}, a loopback, link-local, private or otherwise non-public address, which webhooks may not call unless the operator allows it`);
    }
    return addresses[0];
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

function beforeDeadline<T>(work: Promise<T>, deadline: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(reason)), Math.max(0, deadline - Date.now()))));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
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
