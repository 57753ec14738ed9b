import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidCredentialsError, RetryableError } from '@cdp/sdk';
import { createMailchimpConnector, mailchimpConnector, MailchimpApiError } from '../src/index.js';
import { connect, failureOf, KEY_A, KEY_B, startTestSandbox, type LogRecord, type TestSandbox } from './support/sandbox-session.js';

const UNKNOWN_KEY = 'aaaabbbbccccddddaaaabbbbccccdddd-us21';

describe('Mailchimp sessions: credentials and keys', () => {
  let sb: TestSandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({
      seed: {
        apiKeys: [KEY_A, KEY_B],
        lists: [
          { id: 'L1', name: 'News', double_optin: true, merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }], members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] },
          { id: 'L2', name: 'Offers', members: [] },
        ],
      },
    });
  });
  afterEach(() => sb.sandbox.admin.setFaults({}));
  afterAll(() => sb.sandbox.close());

  it('describes itself by the connector contract, with the auth schema published beside the connection schema', () => {
    expect(mailchimpConnector).toMatchObject({ id: 'mailchimp', goalKinds: ['import', 'export'] });
    expect(mailchimpConnector.authSchema).toMatchObject({ $id: 'https://cdp-connect.dev/schemas/mailchimp-auth.schema.json', oneOf: expect.any(Array) });
  });

  it('checks a valid key and lists the audiences with their merge fields', async () => {
    const session = await connect(sb.sandbox, KEY_A);
    await session.check();
    const audiences = await session.audiences();
    expect(audiences).toEqual([
      expect.objectContaining({ id: 'L1', name: 'News', memberCount: 1, doubleOptIn: true, fields: expect.arrayContaining([{ tag: 'FNAME', name: 'First name', type: 'text' }]) }),
      expect.objectContaining({ id: 'L2', name: 'Offers', memberCount: 0, doubleOptIn: false }),
    ]);
  });

  it("keeps a session's connections open between its requests, and closes them with the session", async () => {
    sb.sandbox.admin.resetCounters();
    const session = await connect(sb.sandbox, KEY_A);
    for (let call = 0; call < 5; call++) await session.check();
    expect(sb.sandbox.admin.counters()).toMatchObject({ total: 5, connections: 1 });
    await session.close();
    const reopened = await connect(sb.sandbox, KEY_A);
    await reopened.check();
    expect(sb.sandbox.admin.counters()).toMatchObject({ total: 6, connections: 2 });
    await reopened.close();
  });

  it('refuses a wrong key with InvalidCredentialsError, without retrying and without showing the key', async () => {
    const session = await connect(sb.sandbox, UNKNOWN_KEY);
    const error = await failureOf(session.check());
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.message).toContain('401');
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(UNKNOWN_KEY.slice(0, 32));
    expect(session.stats()).toEqual({ apiCalls: 1, retries: 0 });
  });

  it('keeps the secret out of every error and log line, also after retries run out', async () => {
    const logs: LogRecord[] = [];
    const session = await connect(sb.sandbox, KEY_A, { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } }, logs);
    const missing = await failureOf(session.audiences().then(() => session.members.ensureFields('NOPE', ['X'], false)));
    expect(missing).toBeInstanceOf(MailchimpApiError);
    expect((missing as MailchimpApiError).status).toBe(404);
    sb.sandbox.admin.setFaults({ rate500: 1 });
    const exhausted = await failureOf(session.check());
    expect(exhausted).toBeInstanceOf(RetryableError);
    expect(exhausted.message).toMatch(/after 3 attempts: 500/);
    expect(logs.filter((log) => log.level === 'warn')).toHaveLength(2);
    const everything = JSON.stringify([missing.message, missing.stack, exhausted.message, exhausted.stack, logs]);
    expect(everything).not.toContain(KEY_A.slice(0, 32));
  });

  it('runs sessions of two keys side by side, each with its own ten slots', async () => {
    sb.sandbox.admin.setFaults({ latencyMs: 200 });
    const a = await connect(sb.sandbox, KEY_A);
    const b = await connect(sb.sandbox, KEY_B);
    const finished: string[] = [];
    const aCalls = Array.from({ length: 20 }, (_, i) => a.check().then(() => finished.push(`a${i}`)));
    const bCall = b.check().then(() => finished.push('b'));
    await Promise.all([...aCalls, bCall]);
    // Key A's second wave of ten waits for its first; key B never waits for A.
    expect(finished.indexOf('b')).toBeLessThan(finished.indexOf('a10'));
    expect(sb.count(429)).toBe(0);
    expect(a.stats()).toEqual({ apiCalls: 20, retries: 0 });
    expect(b.stats()).toEqual({ apiCalls: 1, retries: 0 });
  });

  it('keeps a working key working while another key of the process is refused', async () => {
    const [good, bad] = await Promise.all([connect(sb.sandbox, KEY_B), connect(sb.sandbox, UNKNOWN_KEY)]);
    const [ok, refused] = await Promise.allSettled([good.audiences(), bad.audiences()]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: expect.arrayContaining([expect.objectContaining({ id: 'L1' })]) });
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(InvalidCredentialsError) });
  });

  it('refuses work once closed', async () => {
    const session = await connect(sb.sandbox, KEY_A);
    await session.close();
    await expect(session.check()).rejects.toThrow('closed');
  });
});

describe('Mailchimp sessions: OAuth access token', () => {
  // The sandbox accepts API keys only, so a loopback endpoint stands in for the OAuth-authenticated API.
  let server: Server;
  let baseUrl: string;
  let connector: typeof mailchimpConnector;
  const TOKEN = 'oauth-access-token-123';
  const seenAuth: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seenAuth.push(request.headers.authorization ?? '');
      const authorised = request.headers.authorization === `Bearer ${TOKEN}`;
      if (request.url?.startsWith('/3.0/lists')) {
        // A refusal that echoes the credential back: the connector must mask it in what it reports.
        response.writeHead(400, { 'Content-Type': 'application/problem+json' });
        response.end(JSON.stringify({ status: 400, title: 'Invalid Resource', detail: `bad request from ${request.headers.authorization}` }));
        return;
      }
      response.writeHead(authorised ? 200 : 401, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(authorised ? { health_status: "Everything's Chimpy!" } : { status: 401, title: 'API Key Invalid', detail: 'bad token' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/3.0`;
    connector = createMailchimpConnector({ allowedBaseUrls: [baseUrl] });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the token as a bearer credential to the configured host', async () => {
    const session = await connector.connect(
      { accessToken: { env: 'MC_TOKEN' }, serverPrefix: 'us7', baseUrl },
      { secret: () => TOKEN, logger: { log: () => undefined } },
    );
    await session.check();
    expect(seenAuth).toEqual([`Bearer ${TOKEN}`]);
    const refused = await connector.connect(
      { accessToken: { env: 'MC_TOKEN' }, serverPrefix: 'us7', baseUrl },
      { secret: () => 'expired-token', logger: { log: () => undefined } },
    );
    const error = await failureOf(refused.check());
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error.message).not.toContain('expired-token');
  });

  it('masks the token when Mailchimp echoes it in an error', async () => {
    const session = await connector.connect(
      { accessToken: { env: 'MC_TOKEN' }, serverPrefix: 'us7', baseUrl },
      { secret: () => TOKEN, logger: { log: () => undefined } },
    );
    const error = await failureOf(session.audiences());
    expect(error).toBeInstanceOf(MailchimpApiError);
    expect(error.message).toContain('bad request from Bearer [redacted]');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(TOKEN);
  });
});
