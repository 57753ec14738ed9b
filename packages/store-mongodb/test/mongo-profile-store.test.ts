import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StoreInputError, type ProfilePatch } from '@cdp/sdk';
import type { Db } from 'mongodb';
import { makeProfile, TestClock } from '../../sdk/testing/store-contract.js';
import { MongoProfileStore } from '../src/mongo-profile-store.js';
import { startTestMongo, type TestMongo } from './support.js';

describe('MongoProfileStore specifics', () => {
  let mongo: TestMongo;
  let db: Db;
  let store: MongoProfileStore;
  let getMores = 0;

  beforeAll(async () => {
    mongo = await startTestMongo('profile_store');
    const client = await mongo.connect({ monitorCommands: true });
    client.on('commandStarted', (event) => {
      if (event.commandName === 'getMore') getMores++;
    });
    db = client.db(mongo.database);
    store = new MongoProfileStore(db, { uniqueIdentifiers: ['email', 'crm_id'], clock: new TestClock() });
    await store.init();
  });
  afterAll(async () => {
    await mongo.stop();
  });

  it('creates an index per unique identifier and one for segment-changed-since', async () => {
    const indexes = await db.collection('profiles').indexes();
    expect(indexes.map((index) => [index.name, index.key])).toEqual(
      expect.arrayContaining([
        ['identifier_email', { 'properties.email': 1 }],
        ['identifier_crm_id', { 'properties.crm_id': 1 }],
        ['segment_changed', { segments: 1, updatedAt: 1, _id: 1 }],
      ]),
    );
  });

  it('streams a segment through a cursor, one server batch per yielded batch', async () => {
    const profiles = Array.from({ length: 300 }, (_, i) => makeProfile(`stream-${i}`, { segments: ['streamed'] }));
    await store.upsertProfiles(profiles);
    const before = getMores;
    let yielded = 0;
    for await (const batch of store.streamSegment({ segment: 'streamed', batchSize: 40 })) {
      expect(batch.length).toBeLessThanOrEqual(40);
      yielded += batch.length;
    }
    expect(yielded).toBe(300);
    // 300 profiles in server batches of 40: the first comes with find, the other 7 with getMore.
    expect(getMores - before).toBeGreaterThanOrEqual(7);
  });

  it('refuses a batch holding a bad patch before writing any of it', async () => {
    await store.upsertProfiles([makeProfile('guarded', { properties: { city: ['Oslo'] } })]);
    const valid: ProfilePatch = { profileId: 'guarded', ops: [{ property: 'city', mode: 'set', values: ['Rome'] }] };
    const bad: ProfilePatch[] = [
      { profileId: 'guarded', ops: [{ property: 'a.b', mode: 'set', values: ['x'] }] },
      { profileId: 'guarded', ops: [{ property: '$where', mode: 'set', values: ['x'] }] },
      { profileId: 'guarded', ops: [{ property: 'n', mode: 'sum', values: ['3' as unknown as number] }] },
      { profileId: 'guarded', ops: [{ property: 'n', mode: 'sum', values: [1, 2] }] },
      { profileId: 'guarded', ops: [{ property: 'n', mode: 'set', values: [Number.NaN] }] },
      { profileId: 'guarded', ops: [{ property: 'n', mode: 'replace' as never, values: [1] }] },
      { profileId: 'guarded', ops: [], version: { key: 'goal.list', value: 'v' } },
      { profileId: '', ops: [] },
    ];
    for (const patch of bad) {
      await expect(store.applyPatches([valid, patch])).rejects.toThrow(StoreInputError);
    }
    expect((await store.findById(['guarded']))[0].properties.city).toEqual(['Oslo']);
  });

  it('refuses a profile with a property name that is not a field name, and asks for identifiers safely', async () => {
    await expect(store.upsertProfiles([makeProfile('dotted', { properties: { 'x.y': ['1'] } })])).rejects.toThrow(StoreInputError);
    await expect(store.findByIdentifier('$ne', ['x'])).rejects.toThrow(StoreInputError);
    expect(await store.findById(['dotted'])).toEqual([]);
  });

  it('reads documents a CDP wrote itself into its own collection, with absent lists as empty', async () => {
    await db.collection('crm_people').insertOne({ _id: 'crm-1' as never, properties: { email: ['x@example.com'] }, segments: ['vip'], updatedAt: new Date('2026-01-01T00:00:00Z') });
    const own = new MongoProfileStore(db, { uniqueIdentifiers: ['email'], collection: 'crm_people' });
    await own.init();
    expect(await own.findByIdentifier('email', ['x@example.com'])).toEqual([
      makeProfile('crm-1', { properties: { email: ['x@example.com'] }, segments: ['vip'], updatedAt: new Date('2026-01-01T00:00:00Z') }),
    ]);
    expect(await own.count({ segment: 'vip' })).toBe(1);
  });
});
