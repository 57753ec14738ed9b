import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import { AlreadyRunningError, StaticCatalog, type Connection, type Logger, type LogLevel, type Profile } from '@cdp/sdk';
import { SchedulerWorker } from '@cdp/scheduler';
import { storeBackends, type TestDatabase, type TestStores } from '../../../test/support/store-backends.js';
import { scheduledConnection, secondsAhead, sleep, waitFor } from './support/slots.js';
import { workerOver } from './support/worker.js';

// Scheduled runs for real: Agenda on MongoDB or PostgreSQL triggers the run service, which exports profiles from the
// stores on the same database through the Mailchimp connector to the sandbox. Two workers share one database, as
// two processes would.

const API_KEY = '1234567890abcdef1234567890abcdef-us3';
const connector = createMailchimpConnector({ retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 }, allowAnyBaseUrl: true });

const profiles: Profile[] = Array.from({ length: 20 }, (_, i) => ({
  id: `p${i}`,
  properties: { email: [`reader${i}@example.com`] },
  segments: ['readers'],
  lifecycles: [],
  viewedInteractions: [],
  consent: { objectives: ['newsletter'] },
  updatedAt: new Date('2026-01-01T00:00:00Z'),
}));

interface Worker {
  stores: TestStores;
  connections: StaticConnectionSource;
  service: RunService;
  scheduler: SchedulerWorker;
  logs: { level: LogLevel; message: string; fields?: Record<string, unknown> }[];
}

describe.each(storeBackends('scheduled-runs'))('scheduled runs end to end: $name', (backend) => {
  let sandbox: Sandbox | undefined;
  let db: TestDatabase;
  let workers: Worker[] = [];

  beforeAll(() => backend.start());
  beforeEach(async () => {
    db = await backend.database('scheduled');
  });
  // Workers first, then their connections and the sandbox; the server stops after the last test.
  afterEach(async () => {
    for (const worker of workers) await worker.scheduler.stop();
    workers = [];
    await db.close();
    await sandbox?.close();
    sandbox = undefined;
  });
  afterAll(() => backend.stop());

  /** One worker process: its own client, stores, run service and scheduler on the shared database. */
  async function startWorker(connection: Connection): Promise<Worker> {
    const stores = await db.open();
    const connections = new StaticConnectionSource([connection]);
    const logs: Worker['logs'] = [];
    const logger: Logger = { log: (level, message, fields) => void logs.push({ level, message, fields }) };
    const service = createRunService({
      profiles: stores.profiles,
      state: stores.state,
      catalog: new StaticCatalog({ segments: ['readers'], properties: [{ name: 'email', uniqueIdentifier: true }], objectives: ['newsletter'] }),
      connections,
      connectors: [connector],
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY }),
      logger,
    });
    const scheduler = workerOver(service, stores, logger);
    const worker = { stores, connections, service, scheduler, logs };
    workers.push(worker);
    return worker;
  }

  it('two workers run a scheduled connection once, at its time, through the real run service', async () => {
    sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'Readers' }] } });
    const slot = secondsAhead(3_000);
    const connection = scheduledConnection(slot, sandbox.baseUrl);
    const [a, b] = [await startWorker(connection), await startWorker(connection)];
    await a.stores.profiles.upsertProfiles(profiles);
    await Promise.all([a.scheduler.start(), b.scheduler.start()]);

    await waitFor(async () => (await a.service.history({ connectionId: 'readers' })).some((run) => run.status !== 'running'), 15_000);
    await sleep(1_500);
    const runs = await b.service.history({ connectionId: 'readers' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
    expect(runs[0].startedAt.getTime()).toBeGreaterThanOrEqual(slot.getTime());
    expect(runs[0].startedAt.getTime() - slot.getTime()).toBeLessThan(5_000);
    expect(sandbox.admin.dump().lists[0].members).toHaveLength(20);
  }, 30_000);

  it('refuses Run now while a scheduled run is in progress', async () => {
    // Every API answer takes 400 ms, so the scheduled run lasts long enough to be caught.
    sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'Readers' }] }, faults: { latencyMs: 400 } });
    const connection = scheduledConnection(secondsAhead(3_000), sandbox.baseUrl);
    const worker = await startWorker(connection);
    const manual = await startWorker(connection);
    await worker.stores.profiles.upsertProfiles(profiles);
    await worker.scheduler.start();

    await waitFor(async () => (await manual.service.history({ connectionId: 'readers' })).some((run) => run.status === 'running'), 15_000);
    await expect(manual.service.runNow('readers')).rejects.toThrow(AlreadyRunningError);
    await waitFor(async () => (await manual.service.history({ connectionId: 'readers' }))[0].status === 'succeeded', 15_000);
    expect(await manual.service.history({ connectionId: 'readers' })).toHaveLength(1);
  }, 30_000);

  it('stops scheduling a connection whose config no longer validates, says why once per change, and records it in the history', async () => {
    sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'L1', name: 'Readers' }] } });
    const connection = scheduledConnection(secondsAhead(20 * 60_000), sandbox.baseUrl);
    const worker = await startWorker(connection);
    const scheduledIds = async () => (await db.storedJobs()).map((job) => job.connectionId);
    const refusalsLogged = () => worker.logs.filter((entry) => entry.message.startsWith('connection refused'));
    await worker.scheduler.start();
    expect(await scheduledIds()).toEqual(['readers']);

    // The objective is gone from the catalog: refreshes stop scheduling the connection, and say why once.
    worker.connections.put({ ...connection, objectives: ['gone-from-catalog'] });
    await worker.scheduler.refresh();
    await worker.scheduler.refresh();
    expect(await scheduledIds()).toEqual([]);
    expect(refusalsLogged()).toEqual([
      { level: 'error', message: 'connection refused: not scheduled until its config validates', fields: { connectionId: 'readers', error: expect.stringContaining('/objectives/0') } },
    ]);
    expect(await worker.service.history({ connectionId: 'readers' })).toEqual([
      expect.objectContaining({ trigger: 'schedule', status: 'refused', error: refusalsLogged()[0].fields?.error }),
    ]);

    // Another reason is another change: said and recorded again.
    worker.connections.put({ ...connection, objectives: ['gone-from-catalog'], goals: [{ ...connection.goals[0], segment: 'gone-too' }] });
    await worker.scheduler.refresh();
    await worker.scheduler.refresh();
    expect(refusalsLogged()).toHaveLength(2);
    expect((await worker.service.history({ connectionId: 'readers' })).map((run) => run.status)).toEqual(['refused', 'refused']);

    // Fixed: scheduled again.
    worker.connections.put(connection);
    await worker.scheduler.refresh();
    expect(await scheduledIds()).toEqual(['readers']);
  }, 30_000);
});
