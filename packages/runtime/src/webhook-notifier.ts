import { createHmac } from 'node:crypto';
import { redact, type Connection, type Logger, type Notifier, type RunReport } from '@cdp/sdk';
import type { SecretResolver } from './secrets.js';

export interface WebhookOptions {
  attempts?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
  timeoutMs?: number;
}

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

/** POSTs the run summary to each webhook target of the connection, retrying with backoff. */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly secrets: SecretResolver,
    private readonly logger: Logger,
    private readonly options: WebhookOptions = {},
  ) {}

  async notify(connection: Connection, report: RunReport): Promise<void> {
    const targets = (connection.notify ?? []).filter((target) => (target.on ?? 'failure') === 'always' || report.status !== 'succeeded');
    const body = redact(JSON.stringify(runSummary(connection, report)), this.secrets.values());
    await Promise.all(
      targets.map(async (target) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (target.signingSecret) {
          headers['x-cdp-signature'] = `sha256=${createHmac('sha256', this.secrets.secret(target.signingSecret)).update(body).digest('hex')}`;
        }
        const delivered = await this.post(target.url, body, headers);
        if (!delivered) this.logger.log('warn', 'webhook not delivered', { connectionId: connection.id, url: target.url });
      }),
    );
  }

  private async post(url: string, body: string, headers: Record<string, string>): Promise<boolean> {
    const attempts = this.options.attempts ?? 4;
    let delay = this.options.backoffMs ?? 500;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
        if (response.ok) return true;
        if (response.status < 500 && response.status !== 429) return false;
      } catch {
        // network error or timeout: retried below
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
    return false;
  }
}
