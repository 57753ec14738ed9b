import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StoreInputError } from '@cdp/sdk';
import type pg from 'pg';
import { makeProfile, TestClock } from '../../sdk/testing/store-contract.js';
import { PostgresProfileStore } from '../src/postgres-profile-store.js';
import { PostgresStateStore } from '../src/postgres-state-store.js';
import { startTestPostgres, type TestPostgres } from './support.js';

describe('PostgreSQL store specifics', () => {
  let postgres: TestPostgres;
  let pool: pg.Pool;
  let profiles: PostgresProfileStore;
  let state: PostgresStateStore;

  beforeAll(async () => {
    postgres = await startTestPostgres('specifics');
    pool = postgres.connect();
    profiles = new PostgresProfileStore(pool, { uniqueIdentifiers: ['email', 'crm_id'], clock: new TestClock() });
    state = new PostgresStateStore(pool);
    await profiles.init();
    await state.init();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it('creates its schema idempotently: a second init changes nothing', async () => {
    const schema = async () => (await pool.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")).rows.map((row) => row.indexname);
    const before = await schema();
    await profiles.init();
    await state.init();
    expect(await schema()).toEqual(before);
    expect(before).toEqual(expect.arrayContaining(['profiles_identifier_key_email', 'profiles_identifier_crm_id', 'profiles_segments', 'profiles_changed']));
  });

  it('has indexes that answer its identifier and segment lookups', async () => {
    // A small table is read whole by choice; with that choice taken away, the plan shows an index fits the query.
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = async (sql: string) => JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows[0]);
      expect(await plan(`SELECT * FROM profiles WHERE (identifier_keys -> 'email') ?| '{a@example.com}'::text[]`)).toContain('profiles_identifier_key_email');
      expect(await plan(`SELECT * FROM profiles WHERE (properties -> 'crm_id') ?| '{c1}'::text[]`)).toContain('profiles_identifier_crm_id');
      expect(await plan("SELECT * FROM profiles WHERE segments @> ARRAY['s7'::text]")).toContain('profiles_segments');
    } finally {
      client.release();
    }
  });

  it('has indexes that answer the change feed and the sweep of a delta', async () => {
    // One goal's records: the planner weighs the profile index against the key's prefix by these statistics.
    const records = Array.from({ length: 2000 }, (_, i) => ({ memberId: `m${i}`, profileId: `p${i}`, hash: 'h', sentAt: new Date() }));
    await state.putSent('c', 'g', 'l', records);
    await pool.query('ANALYZE connection_sent');
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = async (sql: string) => JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows[0]);
      expect(await plan('SELECT id FROM profiles WHERE updated_at > now() ORDER BY updated_at, id')).toContain('profiles_changed');
      expect(await plan('SELECT DISTINCT id FROM profiles_deletions WHERE deleted_at > now()')).toContain('profiles_deletions_at');
      expect(await plan("SELECT * FROM connection_sent WHERE profile_id = ANY('{p1}')")).toContain('connection_sent_profiles');
      expect(await plan("SELECT * FROM connection_sent WHERE connection_id = 'c' AND goal_id = 'g' AND audience_id = 'l' AND retry IS NOT NULL ORDER BY member_id")).toContain(
        'connection_sent_retries',
      );
    } finally {
      client.release();
    }
  });

  it('streams a segment through a server-side cursor, one fetch per yielded batch', async () => {
    await profiles.upsertProfiles(Array.from({ length: 300 }, (_, i) => makeProfile(`stream-${i}`, { segments: ['streamed'] })));
    let open = 0;
    for await (const batch of profiles.streamSegment({ segment: 'streamed', batchSize: 40 })) {
      expect(batch.length).toBeLessThanOrEqual(40);
      open = Math.max(open, pool.totalCount - pool.idleCount);
    }
    // The cursor held one connection while streaming, and handed it back at the end.
    expect(open).toBe(1);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('hands its connection back when a stream is abandoned part way', async () => {
    for await (const batch of state.streamSent('none', 'g', 'l', 10)) expect(batch).toEqual([]);
    for await (const batch of profiles.streamSegment({ segment: 'streamed', batchSize: 10 })) {
      expect(batch).toHaveLength(10);
      break;
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('refuses a property name no store can hold, and a touchpoint count that is not finite, writing nothing', async () => {
    await expect(profiles.upsertProfiles([makeProfile('dotted', { properties: { 'x.y': ['1'] } })])).rejects.toThrow(StoreInputError);
    await expect(profiles.findByIdentifier('$ne', ['x'])).rejects.toThrow(StoreInputError);
    const key = { profileId: 'p', lifecycle: 'l', stage: 's', period: '2026-W01' };
    await expect(state.addTouchpoints([{ key, count: 1 }, { key, count: Number.NaN }])).rejects.toThrow(StoreInputError);
    expect((await state.getTouchpoints([key])).size).toBe(0);
  });

  it('adds counts of one touchpoint given twice in a batch, and keeps one row per exchanged profile', async () => {
    const key = { profileId: 'twice', lifecycle: 'l', stage: 's', period: '2026-W02' };
    await state.addTouchpoints([{ key, count: 2 }, { key, count: 3 }]);
    expect([...(await state.getTouchpoints([key])).values()]).toEqual([5]);
    await state.addExchanged('big', 'exported', Array.from({ length: 700 }, (_, i) => `p${i % 600}`));
    expect(await state.countExchanged('big', 'exported')).toBe(600);
  });
});

describe('the PostgreSQL deletion feed', () => {
  let postgres: TestPostgres;
  let pool: pg.Pool;
  const clock = new TestClock();
  const started = clock.now();
  const open = async () => {
    const store = new PostgresProfileStore(pool, { uniqueIdentifiers: ['email'], clock });
    await store.init();
    return store;
  };

  beforeAll(async () => {
    postgres = await startTestPostgres('deletions');
    pool = postgres.connect();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it('names the rows deleted in SQL, for any span from when its trigger was created, across restarts', async () => {
    const profiles = await open();
    expect(await profiles.deletedSince(new Date(started.getTime() - 1))).toBeUndefined();
    expect(await profiles.deletedSince(started)).toEqual([]);

    await profiles.upsertProfiles([makeProfile('kept'), makeProfile('gone'), makeProfile('gone-too')]);
    await pool.query("DELETE FROM profiles WHERE id LIKE 'gone%'");
    clock.advance(60_000);
    const restarted = await open();
    expect((await restarted.deletedSince(started))?.sort()).toEqual(['gone', 'gone-too']);
    expect(await restarted.deletedSince(new Date(started.getTime() - 1))).toBeUndefined();
  });

  it('drops deletions past their 90 days when read, not only when a process opens the store', async () => {
    const yearAgo = new TestClock(new Date(Date.now() - 365 * 24 * 3600_000));
    const profiles = new PostgresProfileStore(pool, { uniqueIdentifiers: ['email'], clock: yearAgo, table: 'long_open' });
    await profiles.init();
    // Stamped as the trigger stamps them: one past the retention, one within it.
    await pool.query("INSERT INTO long_open_deletions (id, deleted_at) VALUES ('old', now() - interval '91 days'), ('recent', now() - interval '1 day')");

    expect(await profiles.deletedSince(new Date(Date.now() - 2 * 24 * 3600_000))).toEqual(['recent']);
    expect((await pool.query('SELECT id FROM long_open_deletions')).rows).toEqual([{ id: 'recent' }]);
    // The feed no longer answers for the span the dropped deletion was in.
    expect(await profiles.deletedSince(yearAgo.now())).toBeUndefined();
  });

  it('starts again after a TRUNCATE, which fires no delete trigger', async () => {
    const profiles = await open();
    await profiles.upsertProfiles([makeProfile('truncated')]);
    await pool.query('TRUNCATE profiles');
    // The restart is stamped by the server's clock, plus the margin for clock skew.
    const now = Date.now();
    expect(await profiles.deletedSince(new Date(now + 5 * 60_000))).toBeUndefined();
    expect(await profiles.deletedSince(new Date(now + 20 * 60_000))).toEqual([]);
  });
});
