import { afterEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection, Logger, RunReport } from '@cdp/sdk';
import { environmentSecrets, WebhookNotifier, type WebhookOptions } from '../src/index.js';

// Real HTTP servers on loopback stand in for webhook receivers; loopback is allowed only where a test says so.

interface Receiver {
  url: string;
  requests: { headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((receiver) => receiver.close()));
});

/** A server on loopback that records each request, then answers it with `answer` (or never, if it does not). */
async function startReceiver(answer: RequestListener = (_request, response) => response.writeHead(204).end()): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(receiver);
  return receiver;
}

const report: RunReport = {
  runId: 'run-1',
  connectionId: 'news',
  trigger: 'manual',
  dryRun: false,
  status: 'failed',
  startedAt: new Date('2026-01-01T00:00:00Z'),
  endedAt: new Date('2026-01-01T00:00:01Z'),
  goals: [],
  apiCalls: 0,
  retries: 0,
  dataExchange: { imported: 0, exported: 0 },
};

function connection(notify: Connection['notify']): Connection {
  return { id: 'news', name: 'News', connector: 'mailchimp', enabled: true, objectives: ['newsletter'], auth: {}, goals: [], notify };
}

interface Logged {
  message: string;
  fields?: Record<string, unknown>;
}

function notifier(options: WebhookOptions = {}): { notifier: WebhookNotifier; logged: Logged[] } {
  const logged: Logged[] = [];
  const logger: Logger = { log: (_level, message, fields) => logged.push({ message, fields }) };
  const secrets = environmentSecrets({ CDP_SECRET_HOOK: 'hook-signing-secret', AWS_SECRET_ACCESS_KEY: 'aws-secret-value' });
  return { notifier: new WebhookNotifier(secrets, logger, { backoffMs: 10, ...options }), logged };
}

const reasons = (logged: Logged[]): string[] => logged.map(({ fields }) => String(fields?.reason));

describe('webhook targets', () => {
  it('posts the signed summary to a receiver on loopback when the operator allows private addresses', async () => {
    const receiver = await startReceiver();
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true });
    await webhooks.notify(connection([{ type: 'webhook', url: receiver.url, signingSecret: { env: 'CDP_SECRET_HOOK' } }]), report);
    expect(receiver.requests).toHaveLength(1);
    const [{ headers, body }] = receiver.requests;
    expect(JSON.parse(body)).toMatchObject({ connectionId: 'news', runId: 'run-1', status: 'failed' });
    expect(headers['x-cdp-signature']).toBe(`sha256=${createHmac('sha256', 'hook-signing-secret').update(body).digest('hex')}`);
    expect(logged).toEqual([]);
  });

  it('refuses loopback by default, also behind a name that resolves to it: nothing is sent, the refusal is logged', async () => {
    const receiver = await startReceiver();
    const { port } = new URL(receiver.url);
    const { notifier: webhooks, logged } = notifier();
    await webhooks.notify(connection([{ type: 'webhook', url: receiver.url }, { type: 'webhook', url: `http://localhost:${port}/hook` }]), report);
    expect(receiver.requests).toHaveLength(0);
    expect(logged.map(({ message }) => message)).toEqual(['webhook not delivered', 'webhook not delivered']);
    for (const reason of reasons(logged)) expect(reason).toMatch(/is at (127\.0\.0\.1|::1), a loopback, link-local, private or otherwise non-public address/);
  });

  it.each([
    ['link-local, where clouds serve metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['private 10/8', 'http://10.1.2.3/hook'],
    ['private 172.16/12', 'http://172.31.0.1/hook'],
    ['private 192.168/16', 'https://192.168.1.1/hook'],
    ['shared 100.64/10', 'http://100.100.100.200/hook'],
    ['unspecified', 'http://0.0.0.0/hook'],
    ['multicast', 'http://224.0.0.1/hook'],
    ['IPv6 loopback', 'http://[::1]/hook'],
    ['IPv6 link-local', 'http://[fe80::1]/hook'],
    ['IPv6 unique local', 'http://[fd00::1]/hook'],
    ['IPv4 loopback written as IPv6', 'http://[::ffff:127.0.0.1]/hook'],
    ['loopback written as a number', 'http://2130706433/hook'],
  ])('refuses %s by default', async (_what, url) => {
    const { notifier: webhooks, logged } = notifier();
    await webhooks.notify(connection([{ type: 'webhook', url }]), report);
    expect(reasons(logged)).toEqual([expect.stringContaining('non-public address, which webhooks may not call unless the operator allows it')]);
  });

  it('never follows a redirect: the 3xx is a failed delivery, not retried, and its target gets nothing', async () => {
    const elsewhere = await startReceiver();
    const redirecting = await startReceiver((_request, response) => response.writeHead(307, { location: elsewhere.url }).end());
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true });
    await webhooks.notify(connection([{ type: 'webhook', url: redirecting.url, signingSecret: { env: 'CDP_SECRET_HOOK' } }]), report);
    expect(redirecting.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    expect(logged).toEqual([
      { message: 'webhook not delivered', fields: { connectionId: 'news', url: redirecting.url, reason: 'it answered 307, a redirect, which is never followed' } },
    ]);
  });

  it('retries a receiver that answers 503, then delivers', async () => {
    let answered = 0;
    const receiver = await startReceiver((_request, response) => response.writeHead(answered++ < 2 ? 503 : 200).end());
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true });
    await webhooks.notify(connection([{ type: 'webhook', url: receiver.url }]), report);
    expect(receiver.requests).toHaveLength(3);
    expect(logged).toEqual([]);
  });

  it('gives up on a receiver that never answers within the total bound', async () => {
    const hanging = await startReceiver(() => {});
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true, attempts: 10, timeoutMs: 2_000, totalTimeoutMs: 5_000 });
    const started = Date.now();
    await webhooks.notify(connection([{ type: 'webhook', url: hanging.url }]), report);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hanging.requests.length).toBeGreaterThanOrEqual(1);
    expect(reasons(logged)).toEqual([expect.stringMatching(/^no answer within \d+ ms$/)]);
  }, 30_000);

  it('does not wait for the body of an answer that never ends', async () => {
    const endless = await startReceiver((_request, response) => {
      response.writeHead(200);
      response.write('still going');
    });
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true, totalTimeoutMs: 60_000 });
    await webhooks.notify(connection([{ type: 'webhook', url: endless.url }]), report);
    expect(endless.requests).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('skips a target whose signing secret cannot be read, naming the variable only, and still calls the others', async () => {
    const receiver = await startReceiver();
    const { notifier: webhooks, logged } = notifier({ allowPrivateAddresses: true });
    await webhooks.notify(
      connection([
        { type: 'webhook', url: `${receiver.url}/signed`, signingSecret: { env: 'AWS_SECRET_ACCESS_KEY' } },
        { type: 'webhook', url: receiver.url },
      ]),
      report,
    );
    expect(receiver.requests).toHaveLength(1);
    expect(reasons(logged)).toEqual([expect.stringContaining('AWS_SECRET_ACCESS_KEY is not one connections may read')]);
    expect(JSON.stringify(logged)).not.toContain('aws-secret-value');
  });

  it('logs a target without its credentials or query', async () => {
    const { notifier: webhooks, logged } = notifier();
    await webhooks.notify(connection([{ type: 'webhook', url: 'http://user:pass@127.0.0.1:9/hook?token=t0ken' }]), report);
    expect(logged[0].fields?.url).toBe('http://127.0.0.1:9/hook');
  });
});
