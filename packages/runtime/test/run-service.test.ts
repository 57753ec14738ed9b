import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import {
  AlreadyRunningError,
  InMemoryProfileStore,
  InMemoryStateStore,
  InvalidConfigError,
  StaticCatalog,
  type Connection,
  type Profile,
} from '@cdp/sdk';
import { TestClock } from '../../sdk/testing/store-contract.js';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService, type SecretResolver, type WebhookOptions } from '../src/index.js';

// The run service over real parts: the Mailchimp connector over the official client to the sandbox, the
// SDK's in-memory stores, and a real HTTP server standing in for a webhook receiver.

const API_KEY = 'aaaabbbbccccddddeeeeffff00001111-us5';
const connector = createMailchimpConnector({ retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 }, allowAnyBaseUrl: true });

interface Hook {
  url: string;
  bodies: unknown[];
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/** A webhook receiver that fails its first `failures` deliveries with 503. */
async function startHook(failures = 0): Promise<Hook> {
  const bodies: unknown[] = [];
  const headers: IncomingMessage['headers'][] = [];
  let refused = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (refused++ < failures) {
        response.writeHead(503).end();
        return;
      }
      bodies.push(JSON.parse(body));
      headers.push(request.headers);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const profiles: Profile[] = Array.from({ length: 5 }, (_, i) => ({
  id: `p${i}`,
  properties: { email: [`person${i}@example.com`], firstName: [`Person ${i}`] },
  segments: ['newsletter'],
  lifecycles: [],
  viewedInteractions: [],
  consent: { objectives: ['newsletter'] },
  updatedAt: new Date('2026-01-01T00:00:00Z'),
}));

function connection(sandbox: Sandbox, overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'news',
    name: 'Newsletter',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl: sandbox.baseUrl },
    goals: [
      { id: 'export', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }] },
    ],
    ...overrides,
  };
}

interface Setup {
  sandbox: Sandbox;
  service: RunService;
  state: InMemoryStateStore;
  profiles: InMemoryProfileStore;
  hook: Hook;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  options: {
    config?: (sandbox: Sandbox, hook: Hook) => unknown;
    hookFailures?: number;
    stateClock?: TestClock;
    secrets?: SecretResolver;
    webhooks?: WebhookOptions;
  } = {},
): Promise<Setup> {
  const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'News' }] } });
  const hook = await startHook(options.hookFailures);
  open.push(sandbox, hook);
  const store = new InMemoryProfileStore();
  await store.upsertProfiles(profiles);
  const state = new InMemoryStateStore(options.stateClock);
  const service = createRunService({
    profiles: store,
    state,
    catalog: new StaticCatalog({ segments: ['newsletter'], properties: [{ name: 'email', uniqueIdentifier: true }, { name: 'firstName' }], objectives: ['newsletter'] }),
    connections: new StaticConnectionSource([options.config ? options.config(sandbox, hook) : connection(sandbox)]),
    connectors: [connector],
    secrets: options.secrets ?? environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, HOOK_SECRET: 'hook-signing-secret' }, { allow: ['MAILCHIMP_API_KEY', 'HOOK_SECRET'] }),
    // The webhook receivers of these tests listen on loopback.
    webhooks: { allowPrivateAddresses: true, backoffMs: 10, ...options.webhooks },
    logger: { log: () => {} },
  });
  return { sandbox, service, state, profiles: store, hook };
}

describe('RunService', () => {
  it('runs a connection now and records it in the history', async () => {
    const { service, sandbox } = await setup();
    const report = await service.runNow('news');
    expect(report).toMatchObject({ status: 'succeeded', trigger: 'manual', dryRun: false });
    expect(report.goals[0].audiences[0]).toMatchObject({ created: 5 });
    expect(sandbox.admin.dump().lists[0].members).toHaveLength(5);
    const [latest] = await service.history({ connectionId: 'news', limit: 1 });
    expect(latest).toMatchObject({ runId: report.runId, status: 'succeeded' });
  });

  it('refuses to run a disabled connection, and still dry-runs it', async () => {
    const { service, sandbox } = await setup({ config: (sb) => connection(sb, { enabled: false }) });
    await expect(service.runNow('news')).rejects.toThrow(/connection news is disabled \("enabled": false\)/);
    expect(sandbox.admin.counters().total).toBe(0);
    expect(await service.history({ connectionId: 'news' })).toEqual([]);
    const dry = await service.test('news');
    expect(dry.goals[0].audiences[0]).toMatchObject({ created: 5 });
  });

  it('refuses a second run while one holds the lock, with when it started', async () => {
    const { service, sandbox } = await setup();
    sandbox.admin.setFaults({ latencyMs: 300 });
    const first = service.runNow('news');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(service.runNow('news')).rejects.toThrow(AlreadyRunningError);
    await expect(service.runNow('news')).rejects.toThrow(/already running since \d{4}-\d\d-\d\dT/);
    expect((await first).status).toBe('succeeded');
    expect((await service.runNow('news')).status).toBe('succeeded');
  });

  it('marks a run a killed process left as running as interrupted, once the next run starts', async () => {
    const { service, state } = await setup();
    const killed = { runId: 'killed-run', connectionId: 'news', trigger: 'schedule' as const, dryRun: false, status: 'running' as const, startedAt: new Date(Date.now() - 60_000), goals: [], apiCalls: 0, retries: 0, dataExchange: { imported: 0, exported: 0 } };
    await state.saveRun(killed);
    const report = await service.runNow('news');
    const runs = await service.history({ connectionId: 'news' });
    expect(runs.map((run) => [run.runId, run.status])).toEqual([[report.runId, 'succeeded'], ['killed-run', 'interrupted']]);
    expect(runs[1].error).toBe('the process ended before the run finished');
  });

  it('an interrupted run finishes the batch call in flight, records it, is saved as interrupted and notified, and frees the lock', async () => {
    const { service, sandbox, state, hook } = await setup({
      config: (sb, h) => connection(sb, { notify: [{ type: 'webhook', url: h.url, on: 'failure' }] }),
    });
    sandbox.admin.setFaults({ latencyMs: 400 });
    const interruption = new AbortController();
    const running = service.runNow('news', { signal: interruption.signal });
    // Interrupted while the batch call is at Mailchimp.
    while (!sandbox.admin.counters().byRoute['POST /3.0/lists/{list_id}']) await new Promise((resolve) => setTimeout(resolve, 20));
    interruption.abort();
    const report = await running;

    expect(report).toMatchObject({ status: 'interrupted', error: expect.stringContaining('interrupted') });
    expect(report.goals[0]).toMatchObject({ status: 'failed', error: 'the run was interrupted; stopped before writing more' });
    expect(report.goals[0].audiences[0]).toMatchObject({ created: 5 });
    expect(await state.getWatermark('news', 'export')).toBeUndefined();
    const [saved] = await service.history({ connectionId: 'news', limit: 1 });
    expect(saved).toMatchObject({ runId: report.runId, status: 'interrupted' });
    expect(hook.bodies).toEqual([expect.objectContaining({ runId: report.runId, status: 'interrupted' })]);

    // The lock is free and the batch was recorded: the next run starts at once and finds nothing to send.
    sandbox.admin.setFaults({});
    const next = await service.runNow('news');
    expect(next.status).toBe('succeeded');
    expect(next.goals[0].audiences[0]).toMatchObject({ created: 0, unchanged: 5 });
  });

  it('an interrupted run with many batch calls in flight lets them all finish and records each before it is saved', async () => {
    const { service, sandbox, state, profiles: store } = await setup({
      config: (sb) => connection(sb, { goals: [{ ...connection(sb).goals[0], batchSize: 1 } as Connection['goals'][number]] }),
    });
    await store.upsertProfiles(Array.from({ length: 30 }, (_, i) => ({ ...profiles[0], id: `many${i}`, properties: { email: [`many${i}@example.com`] } })));
    sandbox.admin.setFaults({ latencyMs: 300 });
    const interruption = new AbortController();
    const running = service.runNow('news', { signal: interruption.signal });
    // The goal's ten calls are at Mailchimp and the next batch waits for a free slot when the run is stopped.
    while ((sandbox.admin.counters().byRoute['POST /3.0/lists/{list_id}'] ?? 0) < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    interruption.abort();
    const report = await running;
    expect(report.status).toBe('interrupted');

    const members = sandbox.admin.dump().lists[0].members;
    expect(members.length).toBeGreaterThanOrEqual(10);
    expect(report.goals[0].audiences[0].created).toBe(members.length);
    const recorded = await state.getSent('news', 'export', 'L1', members.map((member) => member.id));
    expect(recorded.size).toBe(members.length);
  });

  it('a run that loses its lock to another run stops before removing members or moving the watermark', async () => {
    const clock = new TestClock(new Date());
    const { service, sandbox, state } = await setup({
      stateClock: clock,
      config: (sb) =>
        connection(sb, {
          goals: [
            { id: 'export', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [], removeNonSegmentMembers: { maxRemovalShare: 1 } },
          ],
        }),
    });
    sandbox.admin.seed({ lists: [{ id: 'L1', name: 'News', members: [{ email_address: 'outsider@example.com', status: 'subscribed' }] }] });
    // Each API answer takes 400 ms; meanwhile the lease runs out and another run takes the lock.
    sandbox.admin.setFaults({ latencyMs: 400 });
    const running = service.runNow('news', { leaseMs: 300 });
    // Once the goal is writing (its batch call has reached Mailchimp), the lease runs out and another run takes it.
    while (!sandbox.admin.counters().byRoute['POST /3.0/lists/{list_id}']) await new Promise((resolve) => setTimeout(resolve, 20));
    clock.advance(60_000);
    expect(await state.acquireLock('news', 'another-run', 60_000)).toEqual({ acquired: true });
    const report = await running;
    expect(report.status).toBe('failed');
    expect(report.goals[0].error).toMatch(/lost its lock/);
    expect(sandbox.admin.dump().lists[0].members.find((m) => m.email_address === 'outsider@example.com')?.status).toBe('subscribed');
    expect(await state.getWatermark('news', 'export')).toBeUndefined();
  });

  it('re-syncs named profiles only: sent even when unchanged, watermark and other members left alone', async () => {
    const { service, sandbox, state } = await setup();
    await service.runNow('news');
    const watermark = await state.getWatermark('news', 'export');
    sandbox.admin.resetCounters();
    const report = await service.runNow('news', { profileIds: ['p3'], full: true });
    expect(report.goals[0].audiences[0]).toMatchObject({ selected: 1, updated: 1 });
    expect(sandbox.admin.counters().writes).toBe(1);
    expect(await state.getWatermark('news', 'export')).toEqual(watermark);
  });

  it('refuses a config that no longer validates: nothing read or written, the refusal recorded and notified', async () => {
    const { service, sandbox, state, hook } = await setup({
      config: (sb, h) => connection(sb, { objectives: ['not-in-catalog'], notify: [{ type: 'webhook', url: h.url, on: 'failure' }] }),
    });
    await expect(service.runNow('news', { trigger: 'schedule' })).rejects.toThrow(InvalidConfigError);
    expect(sandbox.admin.counters().total).toBe(0);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ connectionId: 'news', trigger: 'schedule', status: 'refused', error: expect.stringContaining('/objectives/0') })]);
    expect(hook.bodies).toEqual([expect.objectContaining({ connectionId: 'news', runId: runs[0].runId, status: 'refused', error: runs[0].error })]);
  });

  it('refuses a run whose source database cannot be reached: recorded with its reason, notified, nothing sent, the URL never shown', async () => {
    const unreachable = 'postgres://crm:hunter2pass@127.0.0.1:1/crm';
    const { service, sandbox, state, hook } = await setup({
      config: (sb, h) =>
        connection(sb, {
          databases: { crm: { engine: 'postgresql', url: { env: 'CDP_SECRET_CRM_URL' } } },
          goals: [
            {
              id: 'crm-export',
              kind: 'export',
              segment: 'newsletter',
              audiences: ['L1'],
              identifier: 'email',
              mappings: [],
              source: { database: 'crm', table: 'customers', columns: { id: 'id', email: 'email' }, consent: { column: 'opt_in', objectives: ['newsletter'] } },
            },
          ],
          notify: [{ type: 'webhook', url: h.url, on: 'failure' }],
        }),
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, CDP_SECRET_CRM_URL: unreachable }),
    });
    const refused = await service.runNow('news', { trigger: 'schedule' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'source_unavailable', message: expect.stringMatching(/^goal "crm-export": database "crm" could not be read: /) });
    expect(sandbox.admin.counters().total).toBe(0);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ trigger: 'schedule', status: 'refused', goals: [], error: (refused as Error).message })]);
    expect(hook.bodies).toEqual([expect.objectContaining({ runId: runs[0].runId, status: 'refused', error: runs[0].error })]);
    expect(JSON.stringify([runs, hook.bodies])).not.toContain('hunter2pass');
    // A dry run of it records nothing.
    await expect(service.test('news')).rejects.toMatchObject({ code: 'source_unavailable' });
    expect(await state.listRuns({ connectionId: 'news' })).toHaveLength(1);
  });

  it('records a config refused before it can be read at all under the id asked for', async () => {
    const { service, state, hook } = await setup({
      config: (_sb, h) => ({ id: 'news', goals: 'none', notify: [{ type: 'webhook', url: h.url, on: 'failure' }] }),
    });
    await expect(service.runNow('news')).rejects.toThrow(InvalidConfigError);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ trigger: 'manual', status: 'refused', error: expect.stringContaining('/goals') })]);
    expect(hook.bodies).toEqual([expect.objectContaining({ connectionId: 'news', status: 'refused' })]);
  });

  it('records a refusal whose notification targets are nested too deeply to read', async () => {
    const nested = (depth: number): object => (depth === 0 ? { env: 'X' } : { deeper: nested(depth - 1) });
    const { service, state } = await setup({ config: () => ({ id: 'news', notify: [nested(10_000)] }) });
    await expect(service.runNow('news')).rejects.toThrow(InvalidConfigError);
    expect(await state.listRuns({ connectionId: 'news' })).toEqual([expect.objectContaining({ status: 'refused', error: expect.stringContaining('nested too deeply') })]);
  });

  it('a dry run of a refused config records nothing', async () => {
    const { service, state } = await setup({ config: (sb) => connection(sb, { objectives: ['not-in-catalog'] }) });
    await expect(service.test('news')).rejects.toThrow(InvalidConfigError);
    expect(await state.listRuns({ connectionId: 'news' })).toEqual([]);
  });

  it('a dry run counts what a run would do and writes nothing', async () => {
    const { service, sandbox, state } = await setup();
    const report = await service.test('news');
    expect(report).toMatchObject({ dryRun: true, status: 'succeeded' });
    expect(report.goals[0].audiences[0]).toMatchObject({ selected: 5, created: 5 });
    expect(sandbox.admin.counters().writes).toBe(0);
    expect(sandbox.admin.dump().lists[0].members).toHaveLength(0);
    expect(await state.listRuns({ connectionId: 'news' })).toEqual([]);
    expect(await state.getWatermark('news', 'export')).toBeUndefined();
  });

  it('refuses a config naming an audience the account lacks, before anything is written; the refusal is recorded and notified', async () => {
    const { service, sandbox, state, hook } = await setup({
      config: (sb, h) =>
        connection(sb, {
          goals: [{ id: 'export', kind: 'export', segment: 'newsletter', audiences: ['L1', 'NOPE'], identifier: 'email', mappings: [] }],
          notify: [{ type: 'webhook', url: h.url, on: 'failure' }],
        }),
    });
    const refused = await service.runNow('news').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidConfigError);
    expect((refused as InvalidConfigError).problems).toEqual([{ pointer: '/goals/0/audiences/1', message: 'unknown audience "NOPE": the account has none with this id' }]);
    expect(sandbox.admin.counters().writes).toBe(0);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ status: 'refused', goals: [], error: expect.stringContaining('unknown audience "NOPE"') })]);
    expect(hook.bodies).toEqual([expect.objectContaining({ runId: runs[0].runId, status: 'refused', error: runs[0].error })]);
    expect((await state.acquireLock('news', 'next', 1_000)).acquired).toBe(true);
  });

  it('a failing goal does not stop the others: the run ends partial', async () => {
    const { service, sandbox } = await setup({
      config: (sb) =>
        connection(sb, {
          goals: [
            { id: 'broken', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [{ source: 'property', property: 'firstName', to: 'NOSUCH' }] },
            { id: 'fine', kind: 'export', segment: 'newsletter', audiences: ['L1'], identifier: 'email', mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }] },
          ],
        }),
    });
    const report = await service.runNow('news');
    expect(report.status).toBe('partial');
    expect(report.goals.map((g) => [g.goalId, g.status])).toEqual([['broken', 'failed'], ['fine', 'succeeded']]);
    expect(report.goals[0].error).toMatch(/lacks merge fields NOSUCH/);
    expect(sandbox.admin.dump().lists[0].members).toHaveLength(5);
  });

  it('posts the summary of a failed run to the webhook, retried, signed, without secrets', async () => {
    const { service, hook } = await setup({
      hookFailures: 2,
      config: (sb, hook) =>
        connection(sb, {
          auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl: 'http://127.0.0.1:1/3.0' },
          notify: [{ type: 'webhook', url: hook.url, on: 'failure', signingSecret: { env: 'HOOK_SECRET' } }],
        }),
    });
    const report = await service.runNow('news');
    expect(report.status).toBe('failed');
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]).toMatchObject({ connectionId: 'news', runId: report.runId, status: 'failed' });
    expect(hook.headers[0]['x-cdp-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const body = JSON.stringify(hook.bodies[0]);
    expect(body).not.toContain(API_KEY.split('-')[0]);
    expect(body).not.toContain('hook-signing-secret');
  }, 20_000);

  it('sends nothing to a failure-only webhook after a successful run', async () => {
    const { service, hook } = await setup({
      config: (sb, h) => connection(sb, { notify: [{ type: 'webhook', url: h.url, on: 'failure' }] }),
    });
    expect((await service.runNow('news')).status).toBe('succeeded');
    expect(hook.bodies).toHaveLength(0);
  });

  it('reads every secret before the run: an unset webhook signing secret refuses it up front, recorded and notified, nothing sent', async () => {
    const { service, sandbox, state, hook } = await setup({
      config: (sb, h) =>
        connection(sb, {
          notify: [
            { type: 'webhook', url: h.url, on: 'failure' },
            { type: 'webhook', url: h.url, on: 'failure', signingSecret: { env: 'CDP_SECRET_UNSET' } },
          ],
        }),
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY }),
    });
    const refused = await service.runNow('news').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidConfigError);
    expect((refused as InvalidConfigError).problems).toEqual([{ pointer: '/notify/1/signingSecret/env', message: 'environment variable CDP_SECRET_UNSET is not set' }]);
    expect(sandbox.admin.counters().total).toBe(0);
    expect(sandbox.admin.dump().lists[0].members).toHaveLength(0);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ status: 'refused', error: expect.stringContaining('CDP_SECRET_UNSET is not set') })]);
    // The target without a secret is told; the other cannot be signed, so it is not.
    expect(hook.bodies).toEqual([expect.objectContaining({ runId: runs[0].runId, status: 'refused' })]);
  });

  it('refuses a connection naming a variable the operator does not allow, naming it but never its value, before any request', async () => {
    const { service, sandbox, state } = await setup({
      config: (sb) => connection(sb, { auth: { apiKey: { env: 'AWS_SECRET_ACCESS_KEY' }, baseUrl: sb.baseUrl } }),
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, AWS_SECRET_ACCESS_KEY: 'aws-secret-value' }),
    });
    const refused = await service.runNow('news').catch((error: unknown) => error);
    expect((refused as InvalidConfigError).problems).toEqual([
      { pointer: '/auth/apiKey/env', message: 'environment variable AWS_SECRET_ACCESS_KEY is not one connections may read (allowed: MAILCHIMP_*, CDP_SECRET_*)' },
    ]);
    expect(sandbox.admin.counters().total).toBe(0);
    const runs = await state.listRuns({ connectionId: 'news' });
    expect(runs).toEqual([expect.objectContaining({ status: 'refused' })]);
    expect(JSON.stringify(runs)).not.toContain('aws-secret-value');
  });

  it('saves and returns the report whatever the webhook does: one that never answers holds the run only for its bound', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => (silent.closeAllConnections(), silent.close(() => resolve()))) });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
    const { service, state } = await setup({
      config: (sb) => connection(sb, { notify: [{ type: 'webhook', url, on: 'always' }] }),
      webhooks: { totalTimeoutMs: 5_000 },
    });
    const started = Date.now();
    const report = await service.runNow('news');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.status).toBe('succeeded');
    expect(await state.listRuns({ connectionId: 'news' })).toEqual([expect.objectContaining({ runId: report.runId, status: 'succeeded' })]);
  }, 30_000);
});
