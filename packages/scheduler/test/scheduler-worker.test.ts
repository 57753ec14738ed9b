import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AlreadyRunningError,
  nextRuns,
  type Clock,
  type Connection,
  type Logger,
  type LogLevel,
  type Schedule,
  type StateStore,
} from '@cdp/sdk';
import { SchedulerWorker } from '@cdp/scheduler';
import { storeBackends, type TestDatabase } from '../../../test/support/store-backends.js';
import { scheduleWithSlotAt, secondsAhead, sleep, waitFor } from './support/slots.js';

const LEASE_MS = 60_000;

function connection(id: string, schedule: Schedule | undefined, enabled = true): Connection {
  return { id, name: id, connector: 'mailchimp', enabled, objectives: ['marketing'], auth: {}, schedule, goals: [] } as unknown as Connection;
}

interface RunCall {
  connectionId: string;
  worker: string;
  at: Date;
}

interface LogEntry {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

describe.each(storeBackends('scheduler'))('SchedulerWorker over the wire: $name', (backend) => {
  // Each test gets its own database; each worker its own connection and state store, as separate processes would.
  let db: TestDatabase;
  /** The test's own view of the connection state, e.g. to hold a run lock as a manual run would. */
  let state: StateStore;
  let configured: Connection[];
  let calls: RunCall[];
  let logs: LogEntry[];
  let workers: SchedulerWorker[];

  beforeAll(async () => {
    await backend.start();
  });

  afterAll(async () => {
    await backend.stop();
  });

  beforeEach(async () => {
    db = await backend.database('scheduler');
    ({ state } = await db.open());
    configured = [];
    calls = [];
    logs = [];
    workers = [];
  });

  // Workers first, then their connections; the server stops after the last test.
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await db.close();
  });

  /** A run as the runtime does it: exclusive per connection through the state store's run lock. */
  function runAs(worker: string, store: StateStore) {
    return async (connectionId: string): Promise<void> => {
      const lock = await store.acquireLock(connectionId, worker, LEASE_MS);
      if (!lock.acquired) throw new AlreadyRunningError(connectionId, lock.since);
      try {
        calls.push({ connectionId, worker, at: new Date() });
      } finally {
        await store.releaseLock(connectionId, worker);
      }
    };
  }

  async function startWorker(name: string, options: { clock?: Clock; refreshMs?: number } = {}): Promise<SchedulerWorker> {
    const logger: Logger = { log: (level, message, fields) => void logs.push({ level, message, fields }) };
    const { state: store, jobs } = await db.open();
    const worker = new SchedulerWorker({
      jobs,
      connections: async () => structuredClone(configured),
      state: store,
      run: runAs(name, store),
      lockLifetimeMs: 1_000,
      pollMs: 200,
      refreshMs: options.refreshMs ?? 60_000,
      clock: options.clock,
      logger,
    });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  const storedJobs = () => db.storedJobs();

  it('runs a connection at its slot, then moves its job to the next slot', async () => {
    const slot = secondsAhead(2_000);
    const schedule = scheduleWithSlotAt(slot);
    configured = [connection('newsletter', schedule)];
    await startWorker('a');

    expect(await storedJobs()).toEqual([{ connectionId: 'newsletter', nextRunAt: slot }]);
    await waitFor(() => calls.length === 1);
    expect(calls[0].connectionId).toBe('newsletter');
    expect(calls[0].at.getTime()).toBeGreaterThanOrEqual(slot.getTime());
    // At its time, not at some later poll: well within the spacing of the schedule's slots.
    expect(calls[0].at.getTime() - slot.getTime()).toBeLessThan(5_000);
    await waitFor(async () => (await storedJobs())[0].nextRunAt?.getTime() !== slot.getTime());
    expect(await storedJobs()).toEqual([{ connectionId: 'newsletter', nextRunAt: nextRuns(schedule, slot, 1)[0] }]);
  });

  it('runs each slot once with two workers on the same database', async () => {
    // Enough connections that the two workers, saving every first job at once, collide on some of them.
    const ids = Array.from({ length: 24 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
    const slot = secondsAhead(2_000);
    configured = ids.map((id) => connection(id, scheduleWithSlotAt(slot)));
    await Promise.all([startWorker('a'), startWorker('b')]);

    expect((await storedJobs()).map((job) => job.connectionId).sort()).toEqual(ids);
    await waitFor(() => calls.length === ids.length);
    // Past the slots and a few polls more: nothing runs a second time.
    await sleep(1_500);
    expect(calls.map((call) => call.connectionId).sort()).toEqual(ids);
  });

  it('runs a slot once even when Agenda delivers it twice', async () => {
    const slot = secondsAhead(2_000);
    configured = [connection('daily', scheduleWithSlotAt(slot))];
    await Promise.all([startWorker('a'), startWorker('b')]);
    await waitFor(() => calls.length === 1);

    await db.redeliver(slot);
    await waitFor(() => logs.some((entry) => entry.message === 'slot already run by another worker'));
    expect(calls.map((call) => call.connectionId)).toEqual(['daily']);
  });

  it('stops running a disabled connection and starts a newly enabled one without restart', async () => {
    configured = [connection('weekly', scheduleWithSlotAt(secondsAhead(2_000))), connection('later', scheduleWithSlotAt(secondsAhead(2_000)), false)];
    await startWorker('a', { refreshMs: 200 });
    expect((await storedJobs()).map((job) => job.connectionId)).toEqual(['weekly']);

    const enabledSlot = secondsAhead(2_500);
    configured = [connection('weekly', configured[0].schedule, false), connection('later', scheduleWithSlotAt(enabledSlot))];
    // No explicit refresh: the worker's timer picks the change up.
    await waitFor(async () => (await storedJobs()).map((job) => job.connectionId).join() === 'later');
    await waitFor(() => calls.length === 1);
    await sleep(500);
    expect(calls.map((call) => call.connectionId)).toEqual(['later']);
    expect(calls[0].at.getTime()).toBeGreaterThanOrEqual(enabledSlot.getTime());
  });

  it('follows a changed schedule after refresh', async () => {
    const hourly: Schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 24, start: '00:00' };
    configured = [connection('sync', hourly)];
    const worker = await startWorker('a');
    expect((await storedJobs())[0].nextRunAt).toEqual(nextRuns(hourly, new Date(), 1)[0]);

    const soon = secondsAhead(2_000);
    configured = [connection('sync', scheduleWithSlotAt(soon))];
    await worker.refresh();
    expect(await storedJobs()).toEqual([{ connectionId: 'sync', nextRunAt: soon }]);
    await waitFor(() => calls.length === 1);
    expect(calls[0].at.getTime()).toBeGreaterThanOrEqual(soon.getTime());
  });

  it('removes the job of a deleted connection and of one whose schedule is removed', async () => {
    configured = [connection('gone', scheduleWithSlotAt(secondsAhead(60_000))), connection('manual', scheduleWithSlotAt(secondsAhead(60_000)))];
    const worker = await startWorker('a');
    expect(await storedJobs()).toHaveLength(2);

    configured = [connection('manual', undefined)];
    await worker.refresh();
    expect(await storedJobs()).toEqual([]);
  });

  it('skips a slot while the connection is already running, and keeps the schedule going', async () => {
    const slot = secondsAhead(2_000);
    const schedule = scheduleWithSlotAt(slot);
    configured = [connection('busy', schedule)];
    await state.acquireLock('busy', 'run-now', LEASE_MS);
    await startWorker('a');

    await waitFor(() => logs.some((entry) => entry.message.includes('already running')));
    expect(calls).toEqual([]);
    expect(logs.find((entry) => entry.message.includes('already running'))?.fields).toMatchObject({ connectionId: 'busy', slot: slot.toISOString() });
    await waitFor(async () => (await storedJobs())[0].nextRunAt?.getTime() === nextRuns(schedule, slot, 1)[0].getTime());
  });

  it('does not schedule a connection whose schedule never fires, and says so', async () => {
    configured = [connection('never', { type: 'daysOfMonth', timeZone: 'UTC', days: [30], months: [2], at: ['08:00'] })];
    await startWorker('a');
    expect(await storedJobs()).toEqual([]);
    expect(logs).toContainEqual({ level: 'warn', message: 'schedule never fires; connection unscheduled', fields: { connectionId: 'never' } });
  });

  it('runs a slot missed while no worker ran once, then resumes from now', async () => {
    const missed = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_000);
    const schedule = scheduleWithSlotAt(missed);
    configured = [connection('nightly', schedule)];
    // A worker that planned the slot before it went down: its clock stood just before the slot.
    const before: Clock = { now: () => new Date(missed.getTime() - 1_000) };
    const gone = new SchedulerWorker({ jobs: (await db.open()).jobs, connections: async () => configured, state, run: runAs('gone', state), clock: before, lockLifetimeMs: 1_000 });
    workers.push(gone);
    await gone.refresh();
    expect(await storedJobs()).toEqual([{ connectionId: 'nightly', nextRunAt: missed }]);

    await startWorker('a');
    await waitFor(() => calls.length === 1);
    await sleep(500);
    expect(calls.map((call) => call.worker)).toEqual(['a']);
    expect((await storedJobs())[0].nextRunAt).toEqual(nextRuns(schedule, new Date(), 1)[0]);
  });

  // A server restart or an administrator ends the sessions: the worker must neither crash nor stop scheduling.
  // Only where the test can end them (PostgreSQL; the embedded MongoDB-compatible server cannot).
  const whereSessionsCanEnd = backend.endSessions ? it : () => undefined;
  whereSessionsCanEnd('keeps scheduling when the server ends its sessions', async () => {
    const slot = secondsAhead(3_000);
    configured = [connection('resilient', scheduleWithSlotAt(slot))];
    await startWorker('a');
    await backend.endSessions!(db);

    await waitFor(() => calls.length === 1);
    expect(calls[0].at.getTime()).toBeGreaterThanOrEqual(slot.getTime());
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('job notifications interrupted') }));
  });
});
