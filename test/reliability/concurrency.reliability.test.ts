import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type SeedList } from '@cdp/mailchimp-sandbox';
import { AlreadyRunningError, createLogger, type Clock, type Connection, type RunReport } from '@cdp/sdk';
import { mongoJobs, SchedulerWorker } from '@cdp/scheduler';
import { openMongoStores, startEmbeddedMongo, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { CATALOG, profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { assertBuilt, ChildRun, type ChildOutcome } from './support/child-run.js';
import { API_KEY, collectStateDocuments, Evidence } from './support/evidence.js';
import { recordFigures } from './support/figures.js';
import { sleep } from './support/random.js';
import { CONNECTION_ID, connectionTo, Stack } from './support/stack.js';

// One run per connection at a time, across processes: two processes told to run at once, and Run now while the
// scheduler's run is under way. MongoDB store over the wire; the sandbox answers slowly so runs overlap for sure.

const LATENCY_MS = 250;
const ROUNDS = 3;
const LIST: SeedList = { id: 'news', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }] };
const GOALS: Connection['goals'] = [
  { id: 'export', kind: 'export', segment: 'newsletter', audiences: ['news'], identifier: 'email', mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }], batchSize: 10 },
];
const PROFILES = Array.from({ length: 60 }, (_, i) =>
  profile(`p${i}`, `same${i}@example.com`, { properties: { email: [`same${i}@example.com`], firstName: [`First ${i}`] } }),
);

const evidence = new Evidence();
let mongo: EmbeddedMongo;
const opened: MongoStores[] = [];

async function stores(database: string): Promise<MongoStores> {
  const result = await openMongoStores(mongo.uri, { database, uniqueIdentifiers: ['email'] });
  opened.push(result);
  await result.profiles.upsertProfiles(PROFILES);
  return result;
}

beforeAll(async () => {
  assertBuilt();
  mongo = await startEmbeddedMongo('reliability-concurrency');
});

afterAll(async () => {
  for (const result of opened) await result.close();
  await mongo?.stop();
});

describe('concurrency: one run per connection at a time', () => {
  const figures = { rounds: ROUNDS, ran: 0, refused: 0, manualRefusedDuringScheduled: 0 };

  afterAll(() => recordFigures('concurrency', figures));

  it(`two processes told to run the same connection at once: exactly one runs, ${ROUNDS} times in a row`, async () => {
    const { db } = await stores('concurrency_processes');
    const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [LIST] }, faults: { latencyMs: LATENCY_MS } });
    try {
      const connection = connectionTo(sandbox.baseUrl, GOALS);
      for (let round = 0; round < ROUNDS; round++) {
        const children = [0, 1].map(() => new ChildRun({ mongoUri: mongo.uri, database: db.databaseName, connection, catalog: CATALOG, leaseMs: 30_000, waitForGo: true }, evidence));
        await Promise.all(children.map((child) => child.ready));
        for (const child of children) child.go();
        const outcomes: ChildOutcome[] = await Promise.all(children.map((child) => child.outcome()));

        const reports = outcomes.filter((o): o is { kind: 'report'; report: RunReport } => o.kind === 'report');
        const refusals = outcomes.filter((o) => o.kind === 'error');
        expect(reports).toHaveLength(1);
        expect(reports[0].report.status).toBe('succeeded');
        expect(refusals).toEqual([{ kind: 'error', code: 'already_running', message: expect.stringMatching(/^Connection reliability is already running since \d{4}-/) }]);
        figures.ran += reports.length;
        figures.refused += refusals.length;
      }
      // Every profile was sent once, by whichever process won the first round.
      expect(sandbox.admin.dump().lists[0].members).toHaveLength(PROFILES.length);
      const history = await opened[0].state.listRuns({ connectionId: CONNECTION_ID });
      expect(history.map((run) => run.status)).toEqual(Array(ROUNDS).fill('succeeded'));
      await collectStateDocuments(evidence, db);
    } finally {
      await sandbox.close();
    }
  });

  it('Run now while a scheduled run is under way is refused with "already running"', async () => {
    const { profiles, state, db } = await stores('concurrency_schedule');
    // A daily slot a minute ago, and a worker whose clock stands just before it: Agenda (on real time) finds the job
    // due at its first poll, and the next slot, a day later, is not due during the test, so one scheduled run fires.
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
    const stack = await Stack.start({
      lists: [LIST],
      goals: GOALS,
      profiles,
      state,
      evidence,
      faults: { latencyMs: LATENCY_MS },
      connection: { schedule: { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 1, start: slot.toISOString().slice(11, 16) } },
    });
    const workerClock: Clock = { now: () => new Date(slot.getTime() - 60_000) };
    const worker = new SchedulerWorker({
      jobs: mongoJobs(db),
      connections: () => stack.service.validConnections(),
      state,
      run: (connectionId, trigger) => stack.service.runNow(connectionId, { trigger }),
      clock: workerClock,
      pollMs: 100,
      lockLifetimeMs: 1_000,
      logger: createLogger({ level: 'debug', write: (line) => evidence.add('log line', line) }),
    });
    try {
      await worker.start();
      const scheduled = await waitForRun(stack, (run) => run.trigger === 'schedule' && run.status === 'running');
      const manual = stack.run();
      await expect(manual).rejects.toThrow(AlreadyRunningError);
      await expect(manual).rejects.toThrow(/^Connection reliability is already running since \d{4}-/);
      figures.manualRefusedDuringScheduled++;
      await waitForRun(stack, (run) => run.runId === scheduled.runId && run.status !== 'running');
      await worker.stop();
      const history = await stack.service.history({ connectionId: CONNECTION_ID });
      expect(history).toEqual([expect.objectContaining({ trigger: 'schedule', status: 'succeeded' })]);
      // Once the scheduled run is over, Run now goes ahead.
      expect((await stack.run()).status).toBe('succeeded');
    } finally {
      await worker.stop();
      await stack.close();
    }
    await collectStateDocuments(evidence, db);
  });

  it('leaks the API key nowhere: process output, logs, reports, history, webhook bodies, errors', () => {
    evidence.expectNoSecret();
  });
});

/** Polls the run history until a run matches. */
async function waitForRun(stack: Stack, matches: (run: RunReport) => boolean, timeoutMs = 20_000): Promise<RunReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await stack.service.history({ connectionId: CONNECTION_ID })).find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such run in the history in time');
    await sleep(50);
  }
}
