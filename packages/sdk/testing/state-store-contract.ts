import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { emptyAudienceReport, touchpointId, type RunReport, type SentRecord, type StateStore, type TouchpointKey } from '@cdp/sdk';
import { freshId } from './fresh-id.js';
import type { TestClock } from './test-clock.js';

export interface OpenedStateStore {
  store: StateStore;
  clock: TestClock;
  close(): Promise<void>;
}

function sentRecord(memberId: string, overrides: Partial<SentRecord> = {}): SentRecord {
  return {
    memberId,
    profileId: `profile-of-${memberId}`,
    hash: `hash-of-${memberId}`,
    payload: { memberId, email: `${memberId}@example.com`, mergeFields: { FNAME: 'Ada' }, tags: ['vip'] },
    sentAt: new Date('2026-01-10T08:00:00.000Z'),
    ...overrides,
  };
}

function runReport(connectionId: string, startedAt: Date, overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: freshId('run'),
    connectionId,
    trigger: 'manual',
    dryRun: false,
    status: 'succeeded',
    startedAt,
    endedAt: new Date(startedAt.getTime() + 5000),
    goals: [
      {
        goalId: 'export-newsletter',
        kind: 'export',
        status: 'succeeded',
        audiences: [{ ...emptyAudienceReport('list-1'), selected: 3, created: 2, skipped: { noConsent: 1 } }],
        apiCalls: 4,
        retries: 1,
        startedAt: new Date(startedAt.getTime() + 10),
        durationMs: 4900,
      },
    ],
    apiCalls: 3,
    retries: 0,
    dataExchange: { imported: 0, exported: 2 },
    ...overrides,
  };
}

/**
 * The behaviour every StateStore must have. `open` is called once; each test works on fresh connection
 * ids, so the store may hold data from other tests.
 */
export function describeStateStoreContract(name: string, open: () => Promise<OpenedStateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let clock: TestClock;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, clock, close } = await open());
    });
    afterAll(async () => {
      await close();
    });

    describe('watermarks', () => {
      it('are absent until set, then kept per goal as Date objects', async () => {
        const connection = freshId('conn');
        expect(await store.getWatermark(connection, 'g1')).toBeUndefined();

        const first = new Date('2026-01-01T00:00:00.123Z');
        await store.setWatermark(connection, 'g1', first);
        const read = await store.getWatermark(connection, 'g1');
        expect(read).toBeInstanceOf(Date);
        expect(read).toEqual(first);
        expect(await store.getWatermark(connection, 'g2')).toBeUndefined();
        expect(await store.getWatermark(freshId('conn'), 'g1')).toBeUndefined();

        const second = new Date('2026-01-02T00:00:00.000Z');
        await store.setWatermark(connection, 'g1', second);
        expect(await store.getWatermark(connection, 'g1')).toEqual(second);
      });
    });

    describe('sent records', () => {
      it('returns only the asked members it holds, as stored', async () => {
        const connection = freshId('conn');
        const a = sentRecord('a', { lastError: 'Member In Compliance State' });
        const b = sentRecord('b');
        expect((await store.getSent(connection, 'g', 'list', ['a'])).size).toBe(0);

        await store.putSent(connection, 'g', 'list', [a, b]);
        const read = await store.getSent(connection, 'g', 'list', ['a', 'zz']);
        expect([...read.keys()]).toEqual(['a']);
        expect(read.get('a')).toEqual(a);
        expect(read.get('a')?.sentAt).toBeInstanceOf(Date);
        expect((await store.getSent(connection, 'g', 'list', [])).size).toBe(0);
      });

      it('overwrites a member record on a second put', async () => {
        const connection = freshId('conn');
        await store.putSent(connection, 'g', 'list', [sentRecord('a', { lastError: 'failed once' })]);
        const newer = sentRecord('a', { hash: 'new-hash', sentAt: new Date('2026-02-01T00:00:00.000Z') });
        await store.putSent(connection, 'g', 'list', [newer]);
        expect((await store.getSent(connection, 'g', 'list', ['a'])).get('a')).toEqual(newer);
      });

      it('keeps audiences, goals and connections apart', async () => {
        const connection = freshId('conn');
        await store.putSent(connection, 'g', 'list-1', [sentRecord('a')]);
        expect((await store.getSent(connection, 'g', 'list-2', ['a'])).size).toBe(0);
        expect((await store.getSent(connection, 'other-goal', 'list-1', ['a'])).size).toBe(0);
        expect((await store.getSent(freshId('conn'), 'g', 'list-1', ['a'])).size).toBe(0);
      });

      it('streams every record of one goal and audience in batches, and no other', async () => {
        const connection = freshId('conn');
        const records = Array.from({ length: 7 }, (_, i) => sentRecord(`m${i}`, i % 2 ? { retry: 'threshold', attempts: 1 } : { removed: 'archive', hash: '' }));
        await store.putSent(connection, 'g', 'list', records);
        await store.putSent(connection, 'g', 'other-list', [sentRecord('x')]);
        await store.putSent(connection, 'other-goal', 'list', [sentRecord('y')]);
        const batches: SentRecord[][] = [];
        for await (const batch of store.streamSent(connection, 'g', 'list', 3)) batches.push(batch);
        expect(batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
        const streamed = batches.flat().sort((a, b) => a.memberId.localeCompare(b.memberId));
        expect(streamed).toEqual(records);
      });

      it('keeps records apart from the objects given and handed out: changing either does not change the stored one', async () => {
        const connection = freshId('conn');
        const withInterest = (): SentRecord => {
          const record = sentRecord('a');
          record.payload!.interests = [{ category: 'c', interest: 'i', subscribed: true }];
          return record;
        };
        const given = withInterest();
        await store.putSent(connection, 'g', 'list', [given]);
        given.payload!.mergeFields.FNAME = 'Changed';
        given.payload!.tags.push('changed');
        given.payload!.interests![0].subscribed = false;
        given.sentAt.setUTCFullYear(2000);
        const read = (await store.getSent(connection, 'g', 'list', ['a'])).get('a')!;
        expect(read).toEqual(withInterest());
        read.payload!.tags.push('changed');
        read.sentAt.setUTCFullYear(2000);
        expect((await store.getSent(connection, 'g', 'list', ['a'])).get('a')).toEqual(withInterest());
      });
    });

    describe('sent records of profiles, and waiting for a retry', () => {
      it('finds the records of the given profiles in one goal and audience, following a record to its new profile', async () => {
        const connection = freshId('conn');
        const [a, b, c] = [sentRecord('a'), sentRecord('b', { profileId: 'shared' }), sentRecord('c', { profileId: 'shared' })];
        await store.putSent(connection, 'g', 'list', [a, b, c, sentRecord('d')]);
        await store.putSent(connection, 'g', 'other-list', [sentRecord('x', { profileId: 'shared' })]);
        await store.putSent(connection, 'other-goal', 'list', [sentRecord('y', { profileId: 'shared' })]);
        const byMember = (records: SentRecord[]) => [...records].sort((x, y) => x.memberId.localeCompare(y.memberId));

        expect(byMember(await store.sentForProfiles(connection, 'g', 'list', ['shared', 'profile-of-a', 'absent']))).toEqual([a, b, c]);
        expect(await store.sentForProfiles(connection, 'g', 'list', [])).toEqual([]);

        const moved = { ...c, profileId: 'profile-of-a' };
        await store.putSent(connection, 'g', 'list', [moved]);
        expect(byMember(await store.sentForProfiles(connection, 'g', 'list', ['shared']))).toEqual([b]);
        expect(byMember(await store.sentForProfiles(connection, 'g', 'list', ['profile-of-a']))).toEqual([a, moved]);
      });

      it('streams the records waiting for a retry, in batches, until a put clears it', async () => {
        const connection = freshId('conn');
        const records = Array.from({ length: 5 }, (_, i) => sentRecord(`m${i}`, i === 4 ? {} : { retry: i % 2 ? 'threshold' : 'failed', attempts: 1 }));
        await store.putSent(connection, 'g', 'list', records);
        await store.putSent(connection, 'g', 'other-list', [sentRecord('x', { retry: 'failed' })]);
        const waiting = async () => {
          const batches: SentRecord[][] = [];
          for await (const batch of store.sentWaitingForRetry(connection, 'g', 'list', 3)) batches.push(batch);
          return batches;
        };
        const batches = await waiting();
        expect(batches.map((batch) => batch.length)).toEqual([3, 1]);
        expect(batches.flat().sort((x, y) => x.memberId.localeCompare(y.memberId))).toEqual(records.slice(0, 4));

        const { retry: _retry, ...cleared } = records[0];
        await store.putSent(connection, 'g', 'list', [cleared]);
        expect((await waiting()).flat().map((record) => record.memberId).sort()).toEqual(['m1', 'm2', 'm3']);
      });
    });

    describe('checkpoints', () => {
      it('are absent until put, replaced by a later put, and gone after clear', async () => {
        const connection = freshId('conn');
        expect(await store.getCheckpoint(connection, 'g')).toBeUndefined();

        await store.putCheckpoint(connection, 'g', { audience: 'list-1', offset: 500, done: ['list-0'] });
        await store.putCheckpoint(connection, 'other', { offset: 1 });
        expect(await store.getCheckpoint(connection, 'g')).toEqual({ audience: 'list-1', offset: 500, done: ['list-0'] });

        await store.putCheckpoint(connection, 'g', { audience: 'list-2', offset: 0, done: ['list-0', 'list-1'] });
        expect(await store.getCheckpoint(connection, 'g')).toEqual({ audience: 'list-2', offset: 0, done: ['list-0', 'list-1'] });

        await store.clearCheckpoint(connection, 'g');
        expect(await store.getCheckpoint(connection, 'g')).toBeUndefined();
        expect(await store.getCheckpoint(connection, 'other')).toEqual({ offset: 1 });
      });

      it('hands out copies: changing a read checkpoint does not change the stored one', async () => {
        const connection = freshId('conn');
        await store.putCheckpoint(connection, 'g', { done: ['a'] });
        const read = await store.getCheckpoint<{ done: string[] }>(connection, 'g');
        read?.done.push('b');
        expect(await store.getCheckpoint(connection, 'g')).toEqual({ done: ['a'] });
      });
    });

    describe('run history', () => {
      const at = (day: number): Date => new Date(Date.UTC(2026, 0, day, 6, 0, 0));

      it('lists runs of a connection newest first, with dates as Date objects', async () => {
        const connection = freshId('conn');
        const runs = [runReport(connection, at(2)), runReport(connection, at(1)), runReport(connection, at(3))];
        for (const run of runs) await store.saveRun(run);
        await store.saveRun(runReport(freshId('conn'), at(4)));

        const listed = await store.listRuns({ connectionId: connection });
        expect(listed).toEqual([runs[2], runs[0], runs[1]]);
        expect(listed[0].startedAt).toBeInstanceOf(Date);
        expect(listed[0].endedAt).toBeInstanceOf(Date);
        expect(listed[0].goals[0].startedAt).toBeInstanceOf(Date);
      });

      it('replaces a run saved again under the same runId', async () => {
        const connection = freshId('conn');
        const running = runReport(connection, at(5), { status: 'running', goals: [] });
        delete running.endedAt; // a run in progress has not ended
        await store.saveRun(running);
        const finished = runReport(connection, at(5), { runId: running.runId, status: 'partial' });
        await store.saveRun(finished);

        expect(await store.listRuns({ connectionId: connection })).toEqual([finished]);
      });

      it('honours limit, since (inclusive) and until (exclusive) on startedAt', async () => {
        const connection = freshId('conn');
        const runs = [1, 2, 3, 4, 5].map((day) => runReport(connection, at(day)));
        for (const run of runs) await store.saveRun(run);
        const ids = async (query: { limit?: number; since?: Date; until?: Date }): Promise<number[]> =>
          (await store.listRuns({ connectionId: connection, ...query })).map((run) => run.startedAt.getUTCDate());

        expect(await ids({ limit: 2 })).toEqual([5, 4]);
        expect(await ids({ since: at(3) })).toEqual([5, 4, 3]);
        expect(await ids({ until: at(3) })).toEqual([2, 1]);
        expect(await ids({ since: at(2), until: at(5), limit: 2 })).toEqual([4, 3]);
        expect(await store.listRuns({ connectionId: freshId('conn') })).toEqual([]);
      });
    });

    describe('data exchange', () => {
      it('counts unique profiles per direction and connection', async () => {
        const connection = freshId('conn');
        expect(await store.countExchanged(connection, 'imported')).toBe(0);

        await store.addExchanged(connection, 'imported', ['p1', 'p2', 'p1']);
        await store.addExchanged(connection, 'imported', ['p2', 'p3']);
        await store.addExchanged(connection, 'imported', []);
        await store.addExchanged(connection, 'exported', ['p1']);
        await store.addExchanged(freshId('conn'), 'imported', ['p9']);

        expect(await store.countExchanged(connection, 'imported')).toBe(3);
        expect(await store.countExchanged(connection, 'exported')).toBe(1);
      });
    });

    describe('touchpoints', () => {
      it('adds counts per key and answers only keys it holds', async () => {
        const profileId = freshId('p');
        const week: TouchpointKey = { profileId, lifecycle: 'onboarding', stage: 'new', period: '2026-W02' };
        const nextWeek: TouchpointKey = { ...week, period: '2026-W03' };
        const otherStage: TouchpointKey = { ...week, stage: 'active' };

        expect((await store.getTouchpoints([week])).size).toBe(0);
        await store.addTouchpoints([
          { key: week, count: 2 },
          { key: nextWeek, count: 1 },
        ]);
        await store.addTouchpoints([{ key: week, count: 3 }]);

        const read = await store.getTouchpoints([week, nextWeek, otherStage]);
        expect(read).toEqual(
          new Map([
            [touchpointId(week), 5],
            [touchpointId(nextWeek), 1],
          ]),
        );
      });
    });

    describe('scheduled slots', () => {
      it('grants a slot to the first claim only', async () => {
        const connection = freshId('conn');
        const slot = new Date('2026-01-06T03:00:00.000Z');
        expect(await store.claimScheduledSlot(connection, slot)).toBe(true);
        expect(await store.claimScheduledSlot(connection, new Date(slot.getTime()))).toBe(false);
        expect(await store.claimScheduledSlot(connection, new Date('2026-01-07T03:00:00.000Z'))).toBe(true);
        expect(await store.claimScheduledSlot(freshId('conn'), slot)).toBe(true);
      });

      it('grants exactly one of several simultaneous claims', async () => {
        const connection = freshId('conn');
        const slot = new Date('2026-01-06T04:00:00.000Z');
        const answers = await Promise.all(Array.from({ length: 5 }, () => store.claimScheduledSlot(connection, slot)));
        expect(answers.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('run lock', () => {
      const lease = 30_000;

      it('is granted when free and refused to another owner with who holds it and until when', async () => {
        const connection = freshId('conn');
        const since = clock.now();
        expect(await store.acquireLock(connection, 'worker-a', lease)).toEqual({ acquired: true });

        clock.advance(1000);
        const refused = await store.acquireLock(connection, 'worker-b', lease);
        expect(refused).toEqual({ acquired: false, owner: 'worker-a', since, expiresAt: new Date(since.getTime() + lease) });
        if (refused.acquired) throw new Error('expected a refusal');
        expect(refused.since).toBeInstanceOf(Date);
        expect(refused.expiresAt).toBeInstanceOf(Date);
        expect(await store.acquireLock(freshId('conn'), 'worker-b', lease)).toEqual({ acquired: true });
      });

      it('is granted again to its owner, extending the lease but keeping since', async () => {
        const connection = freshId('conn');
        const since = clock.now();
        await store.acquireLock(connection, 'worker-a', lease);
        const reacquiredAt = clock.advance(20_000);
        expect(await store.acquireLock(connection, 'worker-a', lease)).toEqual({ acquired: true });

        clock.advance(20_000);
        const refused = await store.acquireLock(connection, 'worker-b', lease);
        expect(refused).toEqual({ acquired: false, owner: 'worker-a', since, expiresAt: new Date(reacquiredAt.getTime() + lease) });
      });

      it('renew extends the lease for the owner only', async () => {
        const connection = freshId('conn');
        await store.acquireLock(connection, 'worker-a', lease);
        const renewedAt = clock.advance(25_000);
        expect(await store.renewLock(connection, 'worker-a', lease)).toBe(true);
        expect(await store.renewLock(connection, 'worker-b', lease)).toBe(false);
        expect(await store.renewLock(freshId('conn'), 'worker-a', lease)).toBe(false);

        clock.advance(25_000);
        const refused = await store.acquireLock(connection, 'worker-b', lease);
        expect(refused).toMatchObject({ acquired: false, owner: 'worker-a', expiresAt: new Date(renewedAt.getTime() + lease) });
      });

      it('after expiry goes to another owner, and the old owner can no longer renew', async () => {
        const connection = freshId('conn');
        await store.acquireLock(connection, 'worker-a', lease);
        clock.advance(lease - 1);
        expect((await store.acquireLock(connection, 'worker-b', lease)).acquired).toBe(false);

        const takenAt = clock.advance(1);
        expect(await store.acquireLock(connection, 'worker-b', lease)).toEqual({ acquired: true });
        expect(await store.renewLock(connection, 'worker-a', lease)).toBe(false);
        expect(await store.acquireLock(connection, 'worker-a', lease)).toEqual({
          acquired: false,
          owner: 'worker-b',
          since: takenAt,
          expiresAt: new Date(takenAt.getTime() + lease),
        });
      });

      it('lets its owner renew an expired lease nobody else took', async () => {
        const connection = freshId('conn');
        await store.acquireLock(connection, 'worker-a', lease);
        clock.advance(lease + 1000);
        expect(await store.renewLock(connection, 'worker-a', lease)).toBe(true);
        expect((await store.acquireLock(connection, 'worker-b', lease)).acquired).toBe(false);
      });

      it('release frees it for others; a release by another owner does nothing', async () => {
        const connection = freshId('conn');
        await store.acquireLock(connection, 'worker-a', lease);
        await store.releaseLock(connection, 'worker-b');
        expect(await store.acquireLock(connection, 'worker-b', lease)).toMatchObject({ acquired: false, owner: 'worker-a' });

        await store.releaseLock(connection, 'worker-a');
        expect(await store.renewLock(connection, 'worker-a', lease)).toBe(false);
        expect(await store.acquireLock(connection, 'worker-b', lease)).toEqual({ acquired: true });
      });

      it('grants exactly one of several simultaneous acquisitions', async () => {
        const connection = freshId('conn');
        const answers = await Promise.all(
          ['w1', 'w2', 'w3', 'w4', 'w5'].map((owner) => store.acquireLock(connection, owner, lease)),
        );
        expect(answers.filter((answer) => answer.acquired)).toHaveLength(1);
      });
    });
  });
}
