import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from 'mongodb';
import { emptyAudienceReport, StoreInputError, type RunReport } from '@cdp/sdk';
import { TestClock } from '../../sdk/testing/store-contract.js';
import { MongoStateStore, STATE_COLLECTIONS } from '../src/mongo-state-store.js';
import { startTestMongo, type TestMongo } from './support.js';

describe('MongoStateStore specifics', () => {
  let mongo: TestMongo;
  let db: Db;
  let store: MongoStateStore;

  beforeAll(async () => {
    mongo = await startTestMongo('state_store');
    db = (await mongo.connect()).db(mongo.database);
    store = new MongoStateStore(db, { clock: new TestClock() });
    await store.init();
  });
  afterAll(async () => {
    await mongo.stop();
  });

  it('stores a run without writing its undefined fields as null', async () => {
    const run: RunReport = {
      runId: 'run-1',
      connectionId: 'c',
      trigger: 'schedule',
      dryRun: false,
      status: 'running',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      endedAt: undefined,
      goals: [],
      apiCalls: 0,
      retries: 0,
      dataExchange: { imported: 0, exported: 0 },
    };
    await store.saveRun(run);
    const stored = await db.collection(STATE_COLLECTIONS.runs).findOne({ _id: 'run-1' as never });
    expect(stored).not.toHaveProperty('endedAt');
    expect(stored).not.toHaveProperty('error');
  });

  it('answers a run limit of 0 with no runs, and refuses a negative one', async () => {
    await store.saveRun({
      runId: 'run-2',
      connectionId: 'limited',
      trigger: 'manual',
      dryRun: true,
      status: 'succeeded',
      startedAt: new Date('2026-01-02T00:00:00Z'),
      goals: [{ goalId: 'g', kind: 'export', status: 'succeeded', audiences: [emptyAudienceReport('l')], apiCalls: 0, retries: 0, startedAt: new Date('2026-01-02T00:00:00Z'), durationMs: 1 }],
      apiCalls: 0,
      retries: 0,
      dataExchange: { imported: 0, exported: 0 },
    });
    expect(await store.listRuns({ connectionId: 'limited', limit: 0 })).toEqual([]);
    expect(await store.listRuns({ connectionId: 'limited', limit: 1 })).toHaveLength(1);
    await expect(store.listRuns({ connectionId: 'limited', limit: -1 })).rejects.toThrow(RangeError);
  });

  it('refuses a touchpoint count that is not a finite number, adding none of the batch', async () => {
    const key = { profileId: 'p', lifecycle: 'l', stage: 's', period: '2026-W01' };
    await expect(store.addTouchpoints([{ key, count: 1 }, { key, count: Number.NaN }])).rejects.toThrow(StoreInputError);
    expect((await store.getTouchpoints([key])).size).toBe(0);
  });

  it('keeps the exchanged set as documents it counts, one per profile however often added', async () => {
    await store.addExchanged('big', 'exported', Array.from({ length: 700 }, (_, i) => `p${i % 600}`));
    expect(await store.countExchanged('big', 'exported')).toBe(600);
    expect(await db.collection(STATE_COLLECTIONS.exchanged).countDocuments({ connectionId: 'big' })).toBe(600);
  });
});
