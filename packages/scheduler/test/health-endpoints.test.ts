import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import { StaticCatalog, type Connection, type Logger, type Profile, type RunReport } from '@cdp/sdk';
import { SchedulerWorker, startHealthServer, type HealthServer } from '@cdp/scheduler';
import { storeBackends, type TestDatabase, type TestStores } from '../../../test/support/store-backends.js';
import { scheduledConnection, secondsAhead, waitFor } from './support/slots.js';
import { workerOver } from './support/worker.js';

// The worker's health and metrics endpoints for real: a worker on MongoDB or PostgreSQL runs a connection through the
// run service and the Mailchimp connector against the sandbox, and the endpoints are read over HTTP.

const API_KEY = '1234567890abcdef1234567890abcdef-us3';
const connector = createMailchimpConnector({ retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 }, allowAnyBaseUrl: true });
const secrets = environmentSecrets({ MAILCHIMP_API_KEY: API_KEY });
const quiet: Logger = { log: () => undefined };

const profiles: Profile[] = Array.from({ length: 12 }, (_, i) => ({
  id: `p${i}`,
  properties: { email: [i < 10 ? `reader${i}@example.com` : `not-an-email-${i}`] },
  segments: ['readers'],
  lifecycles: [],
  viewedInteractions: [],
  consent: { objectives: ['newsletter'] },
  updatedAt: new Date('2026-01-01T00:00:00Z'),
}));

const seed = { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'Readers' }] };

/** One sample of the Prometheus text: the value of `name` with exactly these labels, 0 when there is no such line. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(match[3]);
  }
  return 0;
}

async function get(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe.each(storeBackends('health'))('worker health and metrics endpoints: $name', (backend) => {
  let db: TestDatabase;
  let stores: TestStores;
  let sandbox: Sandbox | undefined;
  let service: RunService;
  let worker: SchedulerWorker | undefined;
  let health: HealthServer | undefined;

  beforeAll(() => backend.start());
  beforeEach(async () => {
    db = await backend.database('health');
    stores = await db.open();
  });
  // The endpoints and the worker first, then their database and the sandbox; the server stops after the last test.
  afterEach(async () => {
    await health?.close();
    await worker?.stop();
    await db.close();
    await sandbox?.close();
    [health, worker, sandbox] = [undefined, undefined, undefined];
  });
  afterAll(() => backend.stop());

  /** A worker process as `cdp schedule --metrics-port 0` composes it. */
  async function startWorker(connection: Connection, readiness: { cacheMs?: number; timeoutMs?: number } = {}): Promise<string> {
    const connections = async () => [connection];
    service = createRunService({
      profiles: stores.profiles,
      state: stores.state,
      catalog: new StaticCatalog({ segments: ['readers'], properties: [{ name: 'email', uniqueIdentifier: true }], objectives: ['newsletter'] }),
      connections: new StaticConnectionSource([connection]),
      connectors: [connector],
      secrets,
      logger: quiet,
    });
    worker = workerOver(service, stores, quiet);
    await worker.start();
    health = await startHealthServer({
      port: 0,
      worker,
      runs: service,
      jobs: stores.jobs,
      connectors: [connector],
      connections,
      context: { secret: (ref) => secrets.secret(ref), logger: quiet },
      ...readiness,
    });
    return health.url;
  }

  it('counts a scheduled run and a manual one in /metrics with their reports’ numbers; /healthz answers 200', async () => {
    sandbox = await startSandbox({ seed });
    await stores.profiles.upsertProfiles(profiles);
    const url = await startWorker(scheduledConnection(secondsAhead(2_000), sandbox.baseUrl));

    const alive = await get(`${url}/healthz`);
    expect(alive.status).toBe(200);
    expect(JSON.parse(alive.text)).toMatchObject({ status: 'alive', lastRefreshAt: expect.any(String) });

    await waitFor(async () => (await service.history({ connectionId: 'readers' })).some((run) => run.status !== 'running'), 15_000);
    const [scheduled] = await service.history({ connectionId: 'readers' });
    expect(scheduled.trigger).toBe('schedule');
    const exported = scheduled.goals[0].audiences[0];
    expect(exported).toMatchObject({ created: 10, skipped: { invalidIdentifier: 2 } });

    const afterScheduled = await get(`${url}/metrics`);
    expect(afterScheduled.status).toBe(200);
    expect(afterScheduled.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = afterScheduled.text;
    const member = (action: string) => sample(metrics, 'cdp_members_total', { connection: 'readers', goal_kind: 'export', action });
    expect(sample(metrics, 'cdp_runs_total', { connection: 'readers', trigger: 'schedule', status: scheduled.status })).toBe(1);
    expect(member('created')).toBe(exported.created);
    expect(member('skipped')).toBe(2);
    expect(member('failed')).toBe(0);
    expect(sample(metrics, 'cdp_members_skipped_total', { connection: 'readers', goal_kind: 'export', reason: 'invalidIdentifier' })).toBe(2);
    expect(sample(metrics, 'cdp_api_calls_total', { connection: 'readers' })).toBe(scheduled.apiCalls);
    expect(scheduled.apiCalls).toBeGreaterThan(0);
    expect(sample(metrics, 'cdp_run_duration_seconds_count', { connection: 'readers', trigger: 'schedule' })).toBe(1);
    expect(sample(metrics, 'cdp_runs_in_progress', {})).toBe(0);
    // The process's own metrics come along under their standard names.
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);

    // A manual run of two changed profiles, slowed down so that it is seen in progress.
    await stores.profiles.upsertProfiles(profiles.slice(0, 2).map((profile) => ({ ...profile, properties: { ...profile.properties, first_name: ['Ada'] }, updatedAt: new Date() })));
    sandbox.admin.setFaults({ latencyMs: 300 });
    const manual: Promise<RunReport> = service.runNow('readers');
    await waitFor(async () => sample((await get(`${url}/metrics`)).text, 'cdp_runs_in_progress', {}) === 1);
    const report = await manual;
    const after = (await get(`${url}/metrics`)).text;
    expect(sample(after, 'cdp_runs_in_progress', {})).toBe(0);
    expect(sample(after, 'cdp_runs_total', { connection: 'readers', trigger: 'manual', status: report.status })).toBe(1);
    expect(sample(after, 'cdp_api_calls_total', { connection: 'readers' })).toBe(scheduled.apiCalls + report.apiCalls);
    const audience = report.goals[0].audiences[0];
    for (const action of ['created', 'updated', 'unchanged'] as const) {
      expect(sample(after, 'cdp_members_total', { connection: 'readers', goal_kind: 'export', action })).toBe(exported[action] + audience[action]);
    }
  }, 60_000);

  it('/readyz is 503 while Mailchimp cannot be reached or answered in time, and 200 again once it can', async () => {
    sandbox = await startSandbox({ seed });
    const port = Number(new URL(sandbox.url).port);
    const url = await startWorker(scheduledConnection(secondsAhead(6 * 3_600_000), sandbox.baseUrl), { cacheMs: 100, timeoutMs: 1_000 });

    const ready = await get(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', checks: { store: { ok: true }, mailchimp: { ok: true } } });

    await sandbox.close();
    await waitFor(async () => (await get(`${url}/readyz`)).status === 503);
    const down = JSON.parse((await get(`${url}/readyz`)).text);
    expect(down).toMatchObject({ status: 'not ready', checks: { store: { ok: true }, mailchimp: { ok: false, error: expect.stringMatching(/^readers: /) } } });

    sandbox = await startSandbox({ seed, port, faults: { latencyMs: 5_000 } });
    await waitFor(async () => /no answer within 1000 ms/.test((await get(`${url}/readyz`)).text));

    sandbox.admin.setFaults({});
    await waitFor(async () => (await get(`${url}/readyz`)).status === 200);
  }, 60_000);

  // Only where the test can make the database unreachable without stopping its server (PostgreSQL).
  (backend.refuseConnections ? it : it.skip)('/readyz is 503 while the database refuses connections, and 200 again once it accepts them', async () => {
    sandbox = await startSandbox({ seed });
    const url = await startWorker(scheduledConnection(secondsAhead(6 * 3_600_000), sandbox.baseUrl), { cacheMs: 100, timeoutMs: 1_000 });
    expect((await get(`${url}/readyz`)).status).toBe(200);

    await backend.refuseConnections!(db, true);
    await waitFor(async () => (await get(`${url}/readyz`)).status === 503);
    const down = JSON.parse((await get(`${url}/readyz`)).text);
    expect(down).toMatchObject({ status: 'not ready', checks: { store: { ok: false, error: expect.any(String) }, mailchimp: { ok: true } } });
    expect((await get(`${url}/healthz`)).status).toBe(200);

    await backend.refuseConnections!(db, false);
    await waitFor(async () => (await get(`${url}/readyz`)).status === 200);
  }, 60_000);

  it('/readyz names a refused key without showing it, even when Mailchimp echoes it back', async () => {
    sandbox = await startSandbox({ seed: { ...seed, apiKeys: ['ffffffffffffffffffffffffffffffff-us3'] }, faults: { echoCredentials: true } });
    const url = await startWorker(scheduledConnection(secondsAhead(6 * 3_600_000), sandbox.baseUrl));

    const refused = await get(`${url}/readyz`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text).checks.mailchimp.error).toMatch(/^readers: Mailchimp refused the credentials/);
    expect(refused.text).not.toContain(API_KEY);
    expect(refused.text).not.toContain(API_KEY.split('-')[0]);
    expect((await get(`${url}/nowhere`)).status).toBe(404);
  }, 30_000);
});
