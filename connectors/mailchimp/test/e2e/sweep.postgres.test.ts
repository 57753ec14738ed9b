import { describe, expect, it } from '@jest/globals';
import { subscriberHash, type Profile, type SentRecord, type StateStore } from '@cdp/sdk';
import { TestClock } from '../../../../packages/sdk/testing/test-clock.js';
import { postgresBackend, type PostgresTestStores } from '../../../../test/support/store-backends.js';
import { audienceReport, newsletterExport, profile, Worlds, type World } from './world.js';

// The export's sweep on PostgreSQL, end to end: a delta reads the sent records of the profiles that changed, were
// deleted (by the CDP itself, in SQL) or wait for a retry, and no other; what it must do for them, it does.

const LIST = { id: 'news1', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' as const }] };
const GOAL = newsletterExport({ segmentTags: [{ segment: 'vip', as: 'VIP' }] });

const worlds = new Worlds<PostgresTestStores>('sweep', postgresBackend());

/** A state store over the world's, noting the member of every sent record it hands out, and each walk of them all. */
interface Reads {
  state: StateStore;
  members: Set<string>;
  walks: number;
}

function countingState(state: StateStore): Reads {
  const reads: Reads = { state: Object.create(state) as StateStore, members: new Set(), walks: 0 };
  const noted = <T extends Iterable<SentRecord>>(records: T): T => {
    for (const record of records) reads.members.add(record.memberId);
    return records;
  };
  reads.state.getSent = async (...args) => {
    const found = await state.getSent(...args);
    noted(found.values());
    return found;
  };
  reads.state.sentForProfiles = async (...args) => noted(await state.sentForProfiles(...args));
  reads.state.sentWaitingForRetry = async function* (...args) {
    for await (const records of state.sentWaitingForRetry(...args)) yield noted(records);
  };
  reads.state.streamSent = async function* (...args) {
    reads.walks++;
    for await (const records of state.streamSent(...args)) yield noted(records);
  };
  return reads;
}

async function changeProfile(w: World<PostgresTestStores>, id: string, change: Partial<Profile>, clock: TestClock): Promise<void> {
  const [current] = await w.stores.profiles.findById([id]);
  await w.stores.profiles.upsertProfiles([{ ...current, ...change, updatedAt: clock.now() }]);
}

describe('the sweep of a delta on PostgreSQL', () => {
  it('reads only the records of changed, deleted and retrying profiles, and withdraws a profile deleted in SQL', async () => {
    const clock = new TestClock();
    const people = Array.from({ length: 30 }, (_, i) => profile(`p${i}`, `p${i}@example.com`, { segments: ['newsletter', 'vip'] }));
    const w = await worlds.start({ lists: [LIST], profiles: people, goals: [GOAL], clock });
    expect(audienceReport(await w.run())).toMatchObject({ created: 30 });

    clock.advance(60_000);
    const noOp = countingState(w.stores.state);
    expect(audienceReport(await w.serviceOver(w.stores.profiles, noOp.state).runNow('e2e'))).toMatchObject({ created: 0, updated: 0, untagged: 0, withdrawn: 0 });
    expect({ walks: noOp.walks, read: [...noOp.members] }).toEqual({ walks: 0, read: [] });

    // p0 leaves vip, p1 withdraws consent, the CDP deletes p2's row itself, and p3's record waits for a retry.
    clock.advance(60_000);
    await changeProfile(w, 'p0', { segments: ['newsletter'] }, clock);
    await changeProfile(w, 'p1', { consent: { objectives: ['analytics'] } }, clock);
    await w.stores.pool.query('DELETE FROM profiles WHERE id = $1', ['p2']);
    const m3 = subscriberHash('p3@example.com');
    const [record] = (await w.stores.state.getSent('e2e', GOAL.id, 'news1', [m3])).values();
    await w.stores.state.putSent('e2e', GOAL.id, 'news1', [{ ...record, retry: 'failed' }]);
    clock.advance(60_000);
    const delta = countingState(w.stores.state);
    expect(audienceReport(await w.serviceOver(w.stores.profiles, delta.state).runNow('e2e'))).toMatchObject({ updated: 2, untagged: 1, withdrawn: 2 });
    expect(delta.walks).toBe(0);
    expect([...delta.members].sort()).toEqual(['p0', 'p1', 'p2', 'p3'].map((id) => subscriberHash(`${id}@example.com`)).sort());
    expect(w.member('news1', 'p1@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'p2@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'p0@example.com')!.tags).toEqual([]);
  });

  it('walks every record when the deletion feed starts after the last run: after a TRUNCATE of the profiles', async () => {
    const w = await worlds.start({ lists: [LIST], profiles: [profile('ann', 'ann@example.com'), profile('bob', 'bob@example.com')], goals: [GOAL] });
    expect(audienceReport(await w.run())).toMatchObject({ created: 2 });
    await w.stores.pool.query('TRUNCATE profiles');
    const counting = countingState(w.stores.state);
    expect(audienceReport(await w.serviceOver(w.stores.profiles, counting.state).runNow('e2e'))).toMatchObject({ withdrawn: 2 });
    expect(counting.walks).toBe(1);
    expect(w.members('news1').map((member) => member.status)).toEqual(['unsubscribed', 'unsubscribed']);
  });
});
