import { afterEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { startSandbox } from '@cdp/mailchimp-sandbox';
import { InMemoryProfileStore, InMemoryStateStore, InvalidConfigError, StaticCatalog, type Connection, type EmailTarget, type Logger, type RunReport } from '@cdp/sdk';
import { TestClock } from '../../sdk/testing/store-contract.js';
import { createRunService, EmailNotifier, environmentSecrets, StaticConnectionSource, type EmailOptions } from '../src/index.js';

// A real SMTP server (smtp-server) in the test process receives what the notifier sends over SMTP with nodemailer.

const SMTP_PASSWORD = 'smtp-pass-Zq81x';
const API_KEY = 'aaaabbbbccccddddeeeeffff00001111-us5';

interface Received {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
}

interface Mailbox {
  port: number;
  messages: Received[];
  logins: { username?: string; password?: string | null }[];
  close(): Promise<void>;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** Decodes a quoted-printable body (soft line breaks, =XX bytes) as UTF-8. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25'));
}

function parse(raw: string): Pick<Received, 'subject' | 'text'> {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '';
  const body = rest.join('\r\n\r\n');
  return { subject, text: /Content-Transfer-Encoding: quoted-printable/i.test(unfolded) ? decodeQuotedPrintable(body) : body };
}

/**
 * An SMTP server on loopback that takes the login `cdp` / SMTP_PASSWORD (PLAIN over the plain connection, as a
 * relay on the host's own network would) and keeps each message. `reject(n)` answers the n-th message (from 1).
 */
async function startMailbox(options: Partial<SMTPServerOptions> & { reject?: (count: number) => number | undefined } = {}): Promise<Mailbox> {
  const messages: Received[] = [];
  const logins: Mailbox['logins'] = [];
  let count = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username, password: auth.password });
      if (auth.username === 'cdp' && auth.password === SMTP_PASSWORD) callback(null, { user: 'cdp' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        const code = options.reject?.(++count);
        if (code) return callback(Object.assign(new Error('Try again later'), { responseCode: code }));
        const envelope = session.envelope;
        messages.push({ from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((rcpt) => rcpt.address), raw, ...parse(raw) });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const mailbox = {
    port: (server.server.address() as AddressInfo).port,
    messages,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  open.push(mailbox);
  return mailbox;
}

interface Logged {
  message: string;
  fields?: Record<string, unknown>;
}

function target(mailbox: Mailbox, overrides: Partial<EmailTarget> = {}): EmailTarget {
  return {
    type: 'email',
    smtp: { host: '127.0.0.1', port: mailbox.port, security: 'none', username: 'cdp', password: { env: 'CDP_SECRET_SMTP' } },
    from: 'cdp@example.com',
    to: ['ops@example.com', 'privacy@example.com'],
    ...overrides,
  };
}

function connection(notify: Connection['notify']): Connection {
  return { id: 'news', name: 'Newsletter', connector: 'mailchimp', enabled: true, objectives: ['newsletter'], auth: {}, goals: [], notify };
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'run-1',
    connectionId: 'news',
    trigger: 'schedule',
    dryRun: false,
    status: 'failed',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    endedAt: new Date('2026-01-01T00:00:01Z'),
    goals: [],
    apiCalls: 0,
    retries: 0,
    dataExchange: { imported: 0, exported: 0 },
    error: 'Mailchimp answered 500',
    ...overrides,
  };
}

function notifier(options: EmailOptions = {}, env: Record<string, string> = { CDP_SECRET_SMTP: SMTP_PASSWORD }): { notifier: EmailNotifier; logged: Logged[] } {
  const logged: Logged[] = [];
  const logger: Logger = { log: (_level, message, fields) => logged.push({ message, fields }) };
  return { notifier: new EmailNotifier(environmentSecrets(env), logger, { allowPrivateAddresses: true, backoffMs: 10, ...options }), logged };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('email targets', () => {
  it('sends a message about a failed run to every recipient, logged in, without any secret', async () => {
    const mailbox = await startMailbox();
    const { notifier: email, logged } = notifier();
    await email.notify(connection([target(mailbox)]), report());
    expect(logged).toEqual([]);
    expect(mailbox.logins).toEqual([{ username: 'cdp', password: SMTP_PASSWORD }]);
    expect(mailbox.messages).toHaveLength(1);
    const [message] = mailbox.messages;
    expect(message).toMatchObject({ from: 'cdp@example.com', to: ['ops@example.com', 'privacy@example.com'], subject: 'Newsletter: run failed' });
    expect(message.text).toContain('Connection: Newsletter (news)');
    expect(message.text).toContain('Run: run-1 (schedule)');
    expect(message.text).toContain('Status: failed');
    expect(message.text).toContain('Mailchimp answered 500');
    expect(message.raw).not.toContain(SMTP_PASSWORD);
  });

  it('redacts the SMTP password and every other secret read from the message', async () => {
    const mailbox = await startMailbox();
    const logged: Logged[] = [];
    const secrets = environmentSecrets({ CDP_SECRET_SMTP: SMTP_PASSWORD, MAILCHIMP_API_KEY: API_KEY });
    secrets.secret({ env: 'MAILCHIMP_API_KEY' });
    const email = new EmailNotifier(secrets, { log: (_level, message, fields) => logged.push({ message, fields }) }, { allowPrivateAddresses: true });
    await email.notify(connection([target(mailbox)]), report({ error: `echoed ${API_KEY} and ${SMTP_PASSWORD}`, goals: [] }));
    expect(mailbox.messages).toHaveLength(1);
    expect(mailbox.messages[0].raw).not.toContain(API_KEY);
    expect(mailbox.messages[0].raw).not.toContain(SMTP_PASSWORD);
    expect(mailbox.messages[0].text).toContain('echoed');
  });

  it.each([
    ['refused', 'Newsletter: run was refused'],
    ['interrupted', 'Newsletter: run was interrupted'],
    ['partial', 'Newsletter: run partly failed'],
  ] as const)('sends a message about a %s run', async (status, subject) => {
    const mailbox = await startMailbox();
    const { notifier: email } = notifier();
    await email.notify(connection([target(mailbox)]), report({ status }));
    expect(mailbox.messages.map((m) => m.subject)).toEqual([subject]);
  });

  it('sends nothing about a successful run unless the target asks for every run', async () => {
    const mailbox = await startMailbox();
    const { notifier: email } = notifier();
    await email.notify(connection([target(mailbox)]), report({ status: 'succeeded', error: undefined }));
    expect(mailbox.messages).toHaveLength(0);
    await email.notify(connection([target(mailbox, { on: 'always' })]), report({ status: 'succeeded', error: undefined }));
    expect(mailbox.messages.map((m) => m.subject)).toEqual(['Newsletter: run succeeded']);
  });

  it('retries a server that answers 451 (try again later), then delivers once', async () => {
    const mailbox = await startMailbox({ reject: (n) => (n <= 2 ? 451 : undefined) });
    const { notifier: email, logged } = notifier();
    await email.notify(connection([target(mailbox)]), report());
    expect(mailbox.messages).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('a refused login is logged, not retried, and the log holds no password', async () => {
    const mailbox = await startMailbox();
    const { notifier: email, logged } = notifier({}, { CDP_SECRET_SMTP: 'wrong-password-7731' });
    await email.notify(connection([target(mailbox)]), report());
    expect(mailbox.messages).toHaveLength(0);
    expect(mailbox.logins).toHaveLength(1);
    expect(logged).toEqual([
      { message: 'email not delivered', fields: { connectionId: 'news', server: `127.0.0.1:${mailbox.port}`, reason: expect.stringContaining('535') } },
    ]);
    expect(JSON.stringify(logged)).not.toContain('wrong-password-7731');
  });

  it('with starttls, never sends the login or the message over a server that cannot encrypt the connection', async () => {
    const mailbox = await startMailbox();
    const { notifier: email, logged } = notifier();
    await email.notify(connection([target(mailbox, { smtp: { ...target(mailbox).smtp, security: 'starttls' } })]), report());
    expect(mailbox.logins).toEqual([]);
    expect(mailbox.messages).toEqual([]);
    expect(logged.map(({ message }) => message)).toEqual(['email not delivered']);
    expect(JSON.stringify(logged)).not.toContain(SMTP_PASSWORD);
  });

  it('refuses an SMTP server on loopback by default, also behind a name: nothing is sent', async () => {
    const mailbox = await startMailbox();
    const { notifier: email, logged } = notifier({ allowPrivateAddresses: false });
    await email.notify(connection([target(mailbox), target(mailbox, { smtp: { ...target(mailbox).smtp, host: 'localhost' } })]), report());
    expect(mailbox.logins).toEqual([]);
    expect(mailbox.messages).toEqual([]);
    expect(logged.map(({ fields }) => fields?.reason)).toEqual([
      expect.stringMatching(/non-public address, which email notifications may not call unless the operator allows it$/),
      expect.stringMatching(/non-public address, which email notifications may not call unless the operator allows it$/),
    ]);
  });

  it('gives up on a server that never answers within the total bound', async () => {
    const mailbox = await startMailbox({ onConnect: () => {} });
    const { notifier: email, logged } = notifier({ timeoutMs: 500, totalTimeoutMs: 2_000 });
    await email.notify(connection([target(mailbox)]), report());
    expect(mailbox.messages).toEqual([]);
    expect(logged.map(({ message }) => message)).toEqual(['email not delivered']);
  }, 30_000);
});

describe('email notifications of the run service', () => {
  const catalog = new StaticCatalog({ segments: ['newsletter'], properties: [{ name: 'email', uniqueIdentifier: true }], objectives: ['newsletter'] });

  async function service(notify: EmailTarget[], env: Record<string, string>, clock?: TestClock) {
    const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'News' }] } });
    open.push(sandbox);
    const state = new InMemoryStateStore(clock);
    const config: Connection = {
      id: 'news',
      name: 'Newsletter',
      connector: 'mailchimp',
      enabled: true,
      objectives: ['newsletter'],
      // Nothing answers there: every run of it fails.
      auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl: 'http://127.0.0.1:1/3.0' },
      goals: [{ id: 'export', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [] }],
      notify,
    };
    const runs = createRunService({
      profiles: new InMemoryProfileStore(),
      state,
      catalog,
      connections: new StaticConnectionSource([config]),
      connectors: [createMailchimpConnector({ retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 }, allowAnyBaseUrl: true })],
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, ...env }),
      clock,
      email: { allowPrivateAddresses: true, backoffMs: 10 },
      logger: { log: () => {} },
    });
    return { runs, state };
  }

  it('emails a failed run, its report free of the API key and the SMTP password', async () => {
    const mailbox = await startMailbox();
    const { runs } = await service([target(mailbox)], { CDP_SECRET_SMTP: SMTP_PASSWORD });
    const run = await runs.runNow('news');
    expect(run.status).toBe('failed');
    expect(mailbox.messages).toHaveLength(1);
    expect(mailbox.messages[0].text).toContain(`Run: ${run.runId} (manual)`);
    for (const secret of [API_KEY, API_KEY.split('-')[0], SMTP_PASSWORD]) expect(mailbox.messages[0].raw).not.toContain(secret);
  });

  it('reads the SMTP password before the run: an unset one refuses it up front, recorded, with no message sent', async () => {
    const mailbox = await startMailbox();
    const { runs, state } = await service([target(mailbox)], {});
    const refused = await runs.runNow('news').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidConfigError);
    expect((refused as InvalidConfigError).problems).toEqual([{ pointer: '/notify/0/smtp/password/env', message: 'environment variable CDP_SECRET_SMTP is not set' }]);
    expect(await state.listRuns({ connectionId: 'news' })).toEqual([expect.objectContaining({ status: 'refused' })]);
    // The target cannot log in without its password, so it is not told.
    expect(mailbox.messages).toEqual([]);
  });

  it('sends a daily digest of the past 24 hours once, at its local time, whichever worker asks first', async () => {
    const mailbox = await startMailbox();
    const clock = new TestClock(new Date('2026-03-10T06:00:00Z'));
    const { runs, state } = await service([target(mailbox, { on: 'always', digest: { at: '08:00', timeZone: 'Europe/Amsterdam' } })], { CDP_SECRET_SMTP: SMTP_PASSWORD }, clock);
    await state.saveRun(report({ runId: 'yesterday', startedAt: new Date('2026-03-09T10:00:00Z'), status: 'succeeded', error: undefined }));
    await state.saveRun(report({ runId: 'this-morning', startedAt: new Date('2026-03-10T05:00:00Z'), status: 'failed' }));
    await state.saveRun(report({ runId: 'too-old', startedAt: new Date('2026-03-08T10:00:00Z'), status: 'failed' }));

    // 07:00 in Amsterdam: not yet.
    expect(await runs.sendDigests(new Date('2026-03-10T06:00:00Z'))).toBe(0);
    // 08:05 there: due, sent once, by whichever caller claims it.
    const at = new Date('2026-03-10T07:05:00Z');
    expect((await Promise.all([runs.sendDigests(at), runs.sendDigests(at)])).reduce((a, b) => a + b)).toBe(1);
    await until(() => mailbox.messages.length === 1);
    const [digest] = mailbox.messages;
    expect(digest.subject).toBe('Newsletter: daily digest, 1 failed, 1 succeeded');
    expect(digest.text).toContain('Runs from 2026-03-09T07:00:00.000Z to 2026-03-10T07:00:00.000Z');
    expect(digest.text).toMatch(/this-morning[\s\S]*yesterday/);
    expect(digest.text).not.toContain('too-old');
    // Two hours late: skipped rather than sent late.
    expect(await runs.sendDigests(new Date('2026-03-11T09:30:00Z'))).toBe(0);
  });
});
