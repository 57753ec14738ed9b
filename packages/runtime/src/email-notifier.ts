import { redact, retry, type Connection, type EmailTarget, type Logger, type Notifier, type RunReport } from '@cdp/sdk';
import { beforeDeadline, checkedAddress } from './addresses.js';
import type { SecretResolver } from './secrets.js';
import { notifiedTargets } from './webhook-notifier.js';

export interface EmailOptions {
  /** Attempts per message; default 3. */
  attempts?: number;
  /** First retry delay; doubles each attempt. Default 1 s. */
  backoffMs?: number;
  /** One attempt: connecting, greeting and each SMTP command; default 10 s. */
  timeoutMs?: number;
  /** Every attempt of one message together, its DNS lookup included; default 30 s. No run waits longer for its emails. */
  totalTimeoutMs?: number;
  /**
   * Lets email targets name an SMTP server at a loopback, link-local, private, shared, unspecified, multicast or
   * reserved address (a relay on this machine or its network). Default false, as for webhooks.
   */
  allowPrivateAddresses?: boolean;
  /** Certificates (PEM) trusted for the SMTP servers' TLS besides the system's, e.g. an internal relay's CA. */
  ca?: string | string[];
}

const DEFAULTS = { attempts: 3, backoffMs: 1_000, timeoutMs: 10_000, totalTimeoutMs: 30_000, allowPrivateAddresses: false };

/** One message: a subject and a plain-text body. */
export interface EmailMessage {
  subject: string;
  text: string;
}

/** What a digest covers: the connection's runs that started in [from, until). */
export interface DigestPeriod {
  from: Date;
  until: Date;
}

/** Sends the daily digests of email targets; the default notifier does. */
export interface DigestSender {
  sendDigest(connection: Connection, target: EmailTarget, runs: readonly RunReport[], period: DigestPeriod): Promise<void>;
}

/**
 * Emails each email target of the connection about the run (`on`: failure, the default, or always) through its
 * SMTP server, and sends the daily digests. A message holds the run's counts and errors, never a secret: every
 * secret value read (API keys, SMTP passwords, signing secrets) is redacted from it, and from every logged reason.
 * A message that is not delivered is logged, never thrown.
 */
export class EmailNotifier implements Notifier, DigestSender {
  private readonly options: typeof DEFAULTS & Pick<EmailOptions, 'ca'>;

  constructor(
    private readonly secrets: SecretResolver,
    private readonly logger: Logger,
    options: EmailOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  async notify(connection: Connection, report: RunReport): Promise<void> {
    const message = runMessage(connection, report);
    await Promise.all(notifiedTargets(connection, report, 'email').map((target) => this.send(connection, target, message)));
  }

  async sendDigest(connection: Connection, target: EmailTarget, runs: readonly RunReport[], period: DigestPeriod): Promise<void> {
    await this.send(connection, target, digestMessage(connection, runs, period));
  }

  /** Sends one message to the target's recipients; a failure is logged with the server and the reason. */
  private async send(connection: Connection, target: EmailTarget, message: EmailMessage): Promise<void> {
    const clean = (text: string): string => redact(text, this.secrets.values());
    try {
      // Read first, so that the message is cleaned of this password too.
      const password = target.smtp.password ? this.secrets.secret(target.smtp.password) : undefined;
      await this.deliver(target, password, { subject: clean(message.subject), text: clean(message.text) });
    } catch (error) {
      this.logger.log('warn', 'email not delivered', {
        connectionId: connection.id,
        server: `${target.smtp.host}:${portOf(target)}`,
        reason: clean(error instanceof Error ? error.message : String(error)),
      });
    }
  }

  /** Resolves once the server accepted the message for every recipient; rejects with the reason it did not. */
  private async deliver(target: EmailTarget, password: string | undefined, message: EmailMessage): Promise<void> {
    const { smtp } = target;
    // Loaded here, not with the module (before the deadline starts): most runs send no email, and every command that
    // runs connections loads this module.
    const { createTransport } = await import('nodemailer');
    const deadline = Date.now() + this.options.totalTimeoutMs;
    const address = await beforeDeadline(checkedAddress(smtp.host, this.options.allowPrivateAddresses, 'email notifications'), deadline, 'its host name was not resolved in time');
    const security = smtp.security ?? 'starttls';
    const send = async (): Promise<void> => {
      const timeoutMs = Math.max(1, Math.min(this.options.timeoutMs, deadline - Date.now()));
      const transport = createTransport({
        // The address that was checked, so a second lookup cannot move the connection; TLS still checks the name.
        host: address.address,
        port: portOf(target),
        secure: security === 'tls',
        requireTLS: security === 'starttls',
        ignoreTLS: security === 'none',
        servername: smtp.host.replace(/^\[|\]$/g, ''),
        tls: { servername: smtp.host.replace(/^\[|\]$/g, ''), ...(this.options.ca ? { ca: this.options.ca } : {}) },
        auth: smtp.username && password !== undefined ? { user: smtp.username, pass: password } : undefined,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      try {
        const sent = transport.sendMail({ from: target.from, to: target.to, subject: message.subject, text: message.text });
        await beforeDeadline(sent, deadline, `no answer within ${this.options.totalTimeoutMs} ms`);
      } finally {
        transport.close();
      }
    };
    await retry(send, { attempts: this.options.attempts, backoffMs: this.options.backoffMs, deadline, retryable });
  }
}

function portOf(target: EmailTarget): number {
  return target.smtp.port ?? (target.smtp.security === 'tls' ? 465 : 587);
}

/** A refused login or a refused message (5xx) is final; a network failure, a timeout or a 4xx answer is worth another try. */
function retryable(error: unknown): boolean {
  const { code, responseCode } = error as { code?: string; responseCode?: number };
  if (code === 'EAUTH' || code === 'EENVELOPE' || code === 'ETLS') return false;
  return responseCode === undefined || responseCode < 500;
}

const STATUS_WORDS: Record<RunReport['status'], string> = {
  running: 'is running',
  succeeded: 'succeeded',
  partial: 'partly failed',
  failed: 'failed',
  refused: 'was refused',
  interrupted: 'was interrupted',
};

const COUNTS = ['selected', 'created', 'updated', 'unchanged', 'removed', 'restored', 'withdrawn', 'failed'] as const;

/** The message about one run: what happened, goal by goal, with the counts and errors of its report. */
export function runMessage(connection: Connection, report: RunReport): EmailMessage {
  const lines = [
    `Connection: ${connection.name} (${connection.id})`,
    `Run: ${report.runId} (${report.trigger})`,
    `Status: ${report.status}`,
    `Started: ${report.startedAt.toISOString()}`,
    ...(report.endedAt ? [`Ended: ${report.endedAt.toISOString()}`] : []),
    ...(report.error ? ['', 'Error:', report.error] : []),
  ];
  for (const goal of report.goals) {
    lines.push('', `Goal ${goal.goalId} (${goal.kind}): ${goal.status}`);
    if (goal.error) lines.push(`  error: ${goal.error}`);
    for (const audience of goal.audiences) {
      const { failures } = audience;
      const counts = COUNTS.map((name) => `${name} ${audience[name]}`);
      const skipped = Object.entries(audience.skipped).map(([reason, count]) => `${reason} ${count}`);
      lines.push(`  audience ${audience.audienceId}: ${counts.join(', ')}${skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : ''}`);
      for (const { record, reason } of failures.slice(0, 20)) lines.push(`    ${record}: ${reason}`);
      if (failures.length > 20) lines.push(`    … and ${failures.length - 20} more failures`);
    }
  }
  lines.push('', `Profiles exchanged so far: ${report.dataExchange.imported} imported, ${report.dataExchange.exported} exported`);
  return { subject: oneLine(`${connection.name}: run ${STATUS_WORDS[report.status]}`), text: `${lines.join('\n')}\n` };
}

/** The daily digest: one line per run of the period, newest first, then the count of each status. */
export function digestMessage(connection: Connection, runs: readonly RunReport[], { from, until }: DigestPeriod): EmailMessage {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  const summary = runs.length === 0 ? 'no runs' : [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  const lines = [
    `Connection: ${connection.name} (${connection.id})`,
    `Runs from ${from.toISOString()} to ${until.toISOString()}: ${summary}`,
    '',
    ...runs.map((run) => `${run.startedAt.toISOString()}  ${run.status.padEnd(11)} ${run.trigger.padEnd(8)} ${run.runId}${run.error ? `  ${oneLine(run.error)}` : ''}`),
  ];
  return { subject: oneLine(`${connection.name}: daily digest, ${summary}`), text: `${lines.join('\n')}\n` };
}

/** A header value on one line: no line break in a config's name can add a header. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').slice(0, 200);
}
