import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StoreInputError, type Profile, type ProfilePatch, type ProfileStore } from '@cdp/sdk';
import { freshId } from './fresh-id.js';
import type { TestClock } from './test-clock.js';

export interface OpenedProfileStore {
  store: ProfileStore;
  clock: TestClock;
  /** Deletes profiles as the host does, behind the port: required when the store answers `deletedSince`. */
  deleteProfiles?(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A complete profile with defaults; `overrides` wins. */
export function makeProfile(id: string, overrides: Partial<Omit<Profile, 'id'>> = {}): Profile {
  return {
    id,
    properties: {},
    segments: [],
    lifecycles: [],
    viewedInteractions: [],
    consent: { objectives: [] },
    updatedAt: new Date('2025-12-01T00:00:00.000Z'),
    ...overrides,
  };
}

async function collect(batches: AsyncIterable<Profile[]>): Promise<Profile[][]> {
  const all: Profile[][] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

/** Identifier values are fresh too: a store may index them as unique. */
const freshEmail = (): string => `${freshId('e')}@example.com`;

const byId = (a: Profile, b: Profile): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The behaviour every ProfileStore must have. `open` is called once; each test works on fresh ids and
 * segments, so the store may hold data from other tests.
 */
export function describeProfileStoreContract(name: string, open: () => Promise<OpenedProfileStore>): void {
  describe(`ProfileStore contract: ${name}`, () => {
    let store: ProfileStore;
    let clock: TestClock;
    let close: () => Promise<void>;
    let deleteProfiles: OpenedProfileStore['deleteProfiles'];

    beforeAll(async () => {
      ({ store, clock, close, deleteProfiles } = await open());
    });
    afterAll(async () => {
      await close();
    });

    /** Upserts one profile with a fresh id and returns it. */
    async function seed(overrides: Partial<Omit<Profile, 'id'>> = {}): Promise<Profile> {
      const profile = makeProfile(freshId('p'), overrides);
      await store.upsertProfiles([profile]);
      return profile;
    }

    async function load(id: string): Promise<Profile> {
      const [found] = await store.findById([id]);
      if (!found) throw new Error(`profile ${id} is not in the store`);
      return found;
    }

    async function patchOne(patch: ProfilePatch): Promise<string> {
      const [result] = await store.applyPatches([patch]);
      return result.outcome;
    }

    describe('upsertProfiles and findById', () => {
      it('stores whole profiles and finds them by id, with dates as Date objects', async () => {
        const a = makeProfile(freshId('p'), {
          properties: { email: [freshEmail()], score: [3], vip: [true] },
          segments: ['s1', 's2'],
          lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }],
          viewedInteractions: ['webinar'],
          permissionLevel: 'full',
          consent: { objectives: ['newsletter'] },
          updatedAt: new Date('2025-11-02T10:20:30.456Z'),
          sourceVersions: { 'g:l:m': 'v1' },
        });
        const b = makeProfile(freshId('p'));
        await store.upsertProfiles([a, b]);

        const found = await store.findById([b.id, a.id, freshId('absent')]);
        expect(found.sort(byId)).toEqual([a, b].sort(byId));
        expect(found.every((p) => p.updatedAt instanceof Date)).toBe(true);
      });

      it('tells which profiles changed after an instant, leaving out the ones it does not hold', async () => {
        const old = makeProfile(freshId('p'), { updatedAt: new Date('2025-01-01T00:00:00Z') });
        const recent = makeProfile(freshId('p'), { updatedAt: new Date('2025-06-01T00:00:00Z') });
        await store.upsertProfiles([old, recent]);
        const changes = await store.changedSince([old.id, recent.id, freshId('absent')], new Date('2025-03-01T00:00:00Z'));
        expect([...changes].sort()).toEqual([[old.id, false], [recent.id, true]].sort());
        expect(await store.changedSince([], new Date())).toEqual(new Map());
      });

      it('names, when it keeps a change feed, the profiles changed after an instant, in batches', async () => {
        if (!store.changedIdsSince) return;
        const old = makeProfile(freshId('p'), { updatedAt: new Date('2025-01-01T00:00:00Z') });
        const recent = [1, 2, 3].map((day) => makeProfile(freshId('p'), { updatedAt: new Date(`2025-06-0${day}T00:00:00Z`) }));
        await store.upsertProfiles([old, ...recent]);
        const batches: string[][] = [];
        for await (const batch of store.changedIdsSince(new Date('2025-03-01T00:00:00Z'), 2)) batches.push(batch);
        expect(batches.every((batch) => batch.length >= 1 && batch.length <= 2)).toBe(true);
        const ids = batches.flat();
        expect(ids).toEqual(expect.arrayContaining(recent.map((profile) => profile.id)));
        expect(ids).not.toContain(old.id);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it('names, when it keeps a deletion feed, the profiles deleted behind its back since an instant', async () => {
        if (!store.deletedSince) return;
        if (!deleteProfiles) throw new Error('a store answering deletedSince needs deleteProfiles in the suite');
        const [kept, deleted] = [makeProfile(freshId('p')), makeProfile(freshId('p'))];
        await store.upsertProfiles([kept, deleted]);
        const since = clock.advance(60 * 60_000);
        clock.advance(1000);
        await deleteProfiles([deleted.id]);
        const named = await store.deletedSince(since);
        expect(named).toContain(deleted.id);
        expect(named).not.toContain(kept.id);
        expect(await store.findById([deleted.id])).toEqual([]);
      });

      it('returns nothing for ids it does not hold', async () => {
        expect(await store.findById([freshId('absent')])).toEqual([]);
        expect(await store.findById([])).toEqual([]);
      });

      it('replaces a profile as a whole on a second upsert', async () => {
        const segment = freshId('seg');
        const first = await seed({ properties: { email: [freshEmail()], city: ['Berlin'] }, segments: [segment] });
        const replacement = makeProfile(first.id, { properties: { email: [freshEmail()] }, segments: [] });
        await store.upsertProfiles([replacement]);

        expect(await load(first.id)).toEqual(replacement);
        expect(await store.count({ segment })).toBe(0);
      });

      it('keeps the import bookkeeping of a replaced profile unless the replacement carries its own', async () => {
        const first = await seed({ permissionLevel: 'high', sourceVersions: { 'g:l:m': 'v1' }, sourceSums: { 'g:l:m|points': 120 } });
        await store.upsertProfiles([makeProfile(first.id, { properties: { points: [240] } })]);
        const kept = await load(first.id);
        expect(kept).toMatchObject({ properties: { points: [240] }, sourceVersions: { 'g:l:m': 'v1' }, sourceSums: { 'g:l:m|points': 120 } });
        expect(kept.permissionLevel).toBeUndefined();

        await store.upsertProfiles([makeProfile(first.id, { sourceVersions: { 'g:l:m': 'v2' }, sourceSums: { 'g:l:m|points': 5 } })]);
        expect(await load(first.id)).toMatchObject({ sourceVersions: { 'g:l:m': 'v2' }, sourceSums: { 'g:l:m|points': 5 } });
      });

      it('keeps its own copies: changing inputs or results afterwards does not change the store', async () => {
        const input = makeProfile(freshId('p'), { properties: { tags: ['a'] } });
        await store.upsertProfiles([input]);
        input.properties.tags.push('from-input');

        const result = await load(input.id);
        result.properties.tags.push('from-result');
        result.segments.push('from-result');

        const again = await load(input.id);
        expect(again.properties.tags).toEqual(['a']);
        expect(again.segments).toEqual([]);
      });
    });

    describe('findByIdentifier', () => {
      it('matches any value of a multi-valued property', async () => {
        const [a1, a2, b1] = [freshEmail(), freshEmail(), freshEmail()];
        const a = await seed({ properties: { email: [a1, a2] } });
        const b = await seed({ properties: { email: [b1], alias: [a2] } });

        expect((await store.findByIdentifier('email', [a2])).map((p) => p.id)).toEqual([a.id]);
        expect(await store.findByIdentifier('email', [a2.slice(0, -4)])).toEqual([]);
        expect(await store.findByIdentifier('email', ['.*'])).toEqual([]);
        expect(await store.findByIdentifier('email', [])).toEqual([]);

        const both = await store.findByIdentifier('email', [a1, b1, freshId('nobody')]);
        expect(both.sort(byId)).toEqual([a, b].sort(byId));
      });

      it('matches identifier keys: case, surrounding spaces and Unicode composition do not matter', async () => {
        const local = freshId('ann').replace(/[^a-z0-9]/gi, '');
        const a = await seed({ properties: { email: [` ${local.toUpperCase()}@Ex\u0061mple.COM`, `Jos\u0065\u0301.${local}@example.com`] } });
        expect((await store.findByIdentifier('email', [`${local}@example.com`])).map((p) => p.id)).toEqual([a.id]);
        expect((await store.findByIdentifier('email', [`jos\u00e9.${local}@EXAMPLE.com `])).map((p) => p.id)).toEqual([a.id]);
      });

      it('returns a profile once even when several of its values are asked for', async () => {
        const a = await seed({ properties: { email: [freshEmail(), freshEmail()] } });
        const found = await store.findByIdentifier('email', a.properties.email as string[]);
        expect(found).toEqual([a]);
      });

      it('follows identifier changes made by patches and by upserts', async () => {
        const [oldEmail, newEmail, thirdEmail] = [freshEmail(), freshEmail(), freshEmail()];
        const a = await seed({ properties: { email: [oldEmail] } });
        expect(await store.findByIdentifier('email', [oldEmail])).toHaveLength(1);

        await store.applyPatches([{ profileId: a.id, ops: [{ property: 'email', mode: 'set', values: [newEmail] }] }]);
        expect(await store.findByIdentifier('email', [oldEmail])).toEqual([]);
        expect((await store.findByIdentifier('email', [newEmail])).map((p) => p.id)).toEqual([a.id]);

        await store.upsertProfiles([makeProfile(a.id, { properties: { email: [thirdEmail] } })]);
        expect(await store.findByIdentifier('email', [newEmail])).toEqual([]);
        expect((await store.findByIdentifier('email', [thirdEmail])).map((p) => p.id)).toEqual([a.id]);
      });

      it('finds profiles created by a patch', async () => {
        const email = freshEmail();
        const id = freshId('p');
        await store.applyPatches([{ profileId: id, createWith: { properties: { email: [email] }, consent: { objectives: [] } }, ops: [] }]);
        expect((await store.findByIdentifier('email', [email])).map((p) => p.id)).toEqual([id]);
      });
    });

    describe('applyPatches: write modes', () => {
      it('set replaces every value of the property and leaves the others alone', async () => {
        const a = await seed({ properties: { city: ['Berlin', 'Paris'], country: ['DE'] } });
        expect(await patchOne({ profileId: a.id, ops: [{ property: 'city', mode: 'set', values: ['Rome'] }] })).toBe('updated');
        expect((await load(a.id)).properties).toEqual({ city: ['Rome'], country: ['DE'] });
      });

      it('setIfEmpty writes a missing or empty property and keeps one that has a value', async () => {
        const a = await seed({ properties: { empty: [], full: ['kept'] } });
        await store.applyPatches([
          {
            profileId: a.id,
            ops: [
              { property: 'missing', mode: 'setIfEmpty', values: ['new'] },
              { property: 'empty', mode: 'setIfEmpty', values: ['new'] },
              { property: 'full', mode: 'setIfEmpty', values: ['new'] },
            ],
          },
        ]);
        expect((await load(a.id)).properties).toEqual({ missing: ['new'], empty: ['new'], full: ['kept'] });
      });

      it('add appends only values the property does not hold yet', async () => {
        const a = await seed({ properties: { tags: ['a', 'b'] } });
        await patchOne({ profileId: a.id, ops: [{ property: 'tags', mode: 'add', values: ['b', 'c', 'c'] }] });
        await patchOne({ profileId: a.id, ops: [{ property: 'fresh', mode: 'add', values: ['x'] }] });
        expect((await load(a.id)).properties).toEqual({ tags: ['a', 'b', 'c'], fresh: ['x'] });
      });

      it('sum treats a missing number as 0, and repeated sums add up', async () => {
        const a = await seed({ properties: { total: [10] } });
        await patchOne({ profileId: a.id, ops: [{ property: 'opens', mode: 'sum', values: [2] }] });
        await patchOne({ profileId: a.id, ops: [{ property: 'opens', mode: 'sum', values: [3] }] });
        await patchOne({ profileId: a.id, ops: [{ property: 'total', mode: 'sum', values: [-2.5] }] });
        expect((await load(a.id)).properties).toEqual({ opens: [5], total: [7.5] });
      });

      it('applies the ops of one patch in order', async () => {
        const a = await seed();
        await patchOne({
          profileId: a.id,
          ops: [
            { property: 'tags', mode: 'set', values: ['a'] },
            { property: 'tags', mode: 'add', values: ['b'] },
            { property: 'tags', mode: 'setIfEmpty', values: ['ignored'] },
          ],
        });
        expect((await load(a.id)).properties.tags).toEqual(['a', 'b']);
      });

      it('reports a change that writes the values already held as unchanged', async () => {
        const a = await seed({ properties: { tags: ['a'], city: ['Rome'] } });
        const outcome = await patchOne({
          profileId: a.id,
          ops: [
            { property: 'tags', mode: 'add', values: ['a'] },
            { property: 'city', mode: 'set', values: ['Rome'] },
          ],
        });
        expect(outcome).toBe('unchanged');
        expect(await load(a.id)).toEqual(a);
      });
    });

    describe('applyPatches: creating and missing profiles', () => {
      it('creates a missing profile from createWith, then applies the ops', async () => {
        const id = freshId('p');
        const email = freshEmail();
        const now = clock.advance(1000);
        const outcome = await patchOne({
          profileId: id,
          createWith: { properties: { email: [email] }, consent: { objectives: ['newsletter'] }, segments: ['imported'] },
          ops: [{ property: 'opens', mode: 'sum', values: [4] }],
        });
        expect(outcome).toBe('created');
        expect(await load(id)).toEqual(
          makeProfile(id, {
            properties: { email: [email], opens: [4] },
            consent: { objectives: ['newsletter'] },
            segments: ['imported'],
            updatedAt: now,
          }),
        );
      });

      it('creates without segments when createWith names none', async () => {
        const id = freshId('p');
        await patchOne({ profileId: id, createWith: { properties: {}, consent: { objectives: [] } }, ops: [] });
        expect((await load(id)).segments).toEqual([]);
      });

      it('updates an existing profile and ignores createWith', async () => {
        const email = freshEmail();
        const a = await seed({ properties: { email: [email] }, consent: { objectives: ['ads'] } });
        const outcome = await patchOne({
          profileId: a.id,
          createWith: { properties: { email: [freshEmail()] }, consent: { objectives: [] } },
          ops: [{ property: 'city', mode: 'set', values: ['Oslo'] }],
        });
        expect(outcome).toBe('updated');
        const stored = await load(a.id);
        expect(stored.properties).toEqual({ email: [email], city: ['Oslo'] });
        expect(stored.consent).toEqual({ objectives: ['ads'] });
      });

      it('answers missing for an unknown profile without createWith, and creates nothing', async () => {
        const id = freshId('p');
        expect(await patchOne({ profileId: id, ops: [{ property: 'x', mode: 'set', values: [1] }] })).toBe('missing');
        expect(await store.findById([id])).toEqual([]);
      });
    });

    describe('applyPatches: sum from a baseline', () => {
      const fromSource = (profileId: string, value: number, baseline = 'goal:list:m|points'): ProfilePatch => ({
        profileId,
        ops: [{ property: 'points', mode: 'sum', values: [value], baseline }],
      });

      it('adds the whole value first, then only its changes, and the same value again adds nothing', async () => {
        const a = await seed({ properties: { points: [10] } });
        expect(await patchOne(fromSource(a.id, 120))).toBe('updated');
        expect((await load(a.id)).properties.points).toEqual([130]);
        expect(await patchOne(fromSource(a.id, 120))).toBe('unchanged');
        expect(await patchOne(fromSource(a.id, 150))).toBe('updated');
        expect(await patchOne(fromSource(a.id, 100))).toBe('updated');
        const stored = await load(a.id);
        expect(stored.properties.points).toEqual([110]);
        expect(stored.sourceSums).toEqual({ 'goal:list:m|points': 100 });
      });

      it('keeps one baseline per source, so two sources each count their own changes', async () => {
        const a = await seed();
        await patchOne(fromSource(a.id, 3, 'goal:one:m|points'));
        await patchOne(fromSource(a.id, 4, 'goal:two:m|points'));
        await patchOne(fromSource(a.id, 5, 'goal:one:m|points'));
        const stored = await load(a.id);
        expect(stored.properties.points).toEqual([9]);
        expect(stored.sourceSums).toEqual({ 'goal:one:m|points': 5, 'goal:two:m|points': 4 });
      });
    });

    describe('applyPatches: version guard', () => {
      it('applies a member version once: the same version again is unchanged and adds nothing', async () => {
        const a = await seed({ properties: { opens: [1] } });
        const patch: ProfilePatch = {
          profileId: a.id,
          ops: [
            { property: 'opens', mode: 'sum', values: [5] },
            { property: 'tags', mode: 'add', values: ['t'] },
          ],
          version: { key: 'goal:list:member', value: 'v1' },
        };
        expect(await patchOne(patch)).toBe('updated');
        expect(await patchOne(patch)).toBe('unchanged');
        const stored = await load(a.id);
        expect(stored.properties).toEqual({ opens: [6], tags: ['t'] });
        expect(stored.sourceVersions).toEqual({ 'goal:list:member': 'v1' });
      });

      it('applies a new version of the same member, and keeps versions of other keys', async () => {
        const a = await seed({ sourceVersions: { 'goal:list:other': 'x' } });
        const sum = (value: string): ProfilePatch => ({
          profileId: a.id,
          ops: [{ property: 'opens', mode: 'sum', values: [2] }],
          version: { key: 'goal:list:member', value },
        });
        await patchOne(sum('v1'));
        expect(await patchOne(sum('v2'))).toBe('updated');
        expect(await patchOne(sum('v2'))).toBe('unchanged');
        const stored = await load(a.id);
        expect(stored.properties.opens).toEqual([4]);
        expect(stored.sourceVersions).toEqual({ 'goal:list:other': 'x', 'goal:list:member': 'v2' });
      });

      it('records the version of a creating patch, so repeating it is unchanged', async () => {
        const patch: ProfilePatch = {
          profileId: freshId('p'),
          createWith: { properties: {}, consent: { objectives: [] } },
          ops: [{ property: 'opens', mode: 'sum', values: [3] }],
          version: { key: 'goal:list:m', value: '7' },
        };
        expect(await patchOne(patch)).toBe('created');
        expect(await patchOne(patch)).toBe('unchanged');
        const stored = await load(patch.profileId);
        expect(stored.properties.opens).toEqual([3]);
        expect(stored.sourceVersions).toEqual({ 'goal:list:m': '7' });
      });

      it('records a new version even when its ops change no value', async () => {
        const a = await seed({ properties: { tags: ['t'] } });
        const patch: ProfilePatch = {
          profileId: a.id,
          ops: [{ property: 'tags', mode: 'add', values: ['t'] }],
          version: { key: 'goal:list:m', value: 'v9' },
        };
        clock.advance(60_000);
        expect(await patchOne(patch)).toBe('unchanged');
        const stored = await load(a.id);
        expect(stored.sourceVersions).toEqual({ 'goal:list:m': 'v9' });
        expect(stored.updatedAt).toEqual(a.updatedAt);
      });
    });

    describe('applyPatches: updatedAt and bulk results', () => {
      it('moves updatedAt to the store clock on a change, and not when nothing changes', async () => {
        const a = await seed({ properties: { tags: ['a'] } });
        const addB: ProfilePatch = { profileId: a.id, ops: [{ property: 'tags', mode: 'add', values: ['b'] }] };
        const changedAt = clock.advance(60_000);
        await patchOne(addB);
        expect((await load(a.id)).updatedAt).toEqual(changedAt);

        clock.advance(60_000);
        expect(await patchOne(addB)).toBe('unchanged');
        expect((await load(a.id)).updatedAt).toEqual(changedAt);
      });

      it('keeps updatedAt when a version was already applied', async () => {
        const a = await seed();
        const versioned: ProfilePatch = {
          profileId: a.id,
          ops: [{ property: 'n', mode: 'sum', values: [1] }],
          version: { key: 'k', value: '1' },
        };
        const appliedAt = clock.advance(60_000);
        await patchOne(versioned);
        clock.advance(60_000);
        expect(await patchOne(versioned)).toBe('unchanged');

        const stored = await load(a.id);
        expect(stored.updatedAt).toBeInstanceOf(Date);
        expect(stored.updatedAt).toEqual(appliedAt);
      });

      it('answers every patch in input order', async () => {
        const a = await seed({ properties: { tags: ['a'] } });
        const b = await seed();
        const missingId = freshId('missing');
        const createdId = freshId('created');
        const results = await store.applyPatches([
          { profileId: missingId, ops: [] },
          { profileId: b.id, ops: [{ property: 'x', mode: 'set', values: ['1'] }] },
          { profileId: createdId, createWith: { properties: {}, consent: { objectives: [] } }, ops: [] },
          { profileId: a.id, ops: [{ property: 'tags', mode: 'add', values: ['a'] }] },
        ]);
        expect(results).toEqual([
          { profileId: missingId, outcome: 'missing' },
          { profileId: b.id, outcome: 'updated' },
          { profileId: createdId, outcome: 'created' },
          { profileId: a.id, outcome: 'unchanged' },
        ]);
        expect(await store.applyPatches([])).toEqual([]);
      });

      it('answers a call larger than its write batches in input order: creations, updates, one id twice, one existing', async () => {
        const seeded = await seed({ properties: { opens: [1] } });
        // Among the new ids in id order: a store inserting them in slices meets it in a middle slice, already there.
        const existing = freshId('bulk35');
        await store.upsertProfiles([makeProfile(existing, { properties: { opens: [10] } })]);
        const twice = freshId('twice');
        const creating = (id: string, n: number): ProfilePatch => ({
          profileId: id,
          createWith: { properties: { email: [`${id}@example.com`] }, consent: { objectives: [] } },
          ops: [{ property: 'opens', mode: 'sum', values: [n] }],
        });
        const created = Array.from({ length: 700 }, (_, i) => freshId(`bulk${i}`));
        const patches = created.map((id, i) => creating(id, i));
        patches.splice(300, 0, { profileId: seeded.id, ops: [{ property: 'opens', mode: 'sum', values: [2] }] }, creating(twice, 1), creating(existing, 5));
        patches.push(creating(twice, 4));
        const results = await store.applyPatches(patches);
        expect(results.map((r) => r.profileId)).toEqual(patches.map((patch) => patch.profileId));
        const updated = (patch: ProfilePatch): boolean => patch.profileId === seeded.id || patch.profileId === existing || patch === patches.at(-1);
        expect(results.map((r) => r.outcome)).toEqual(patches.map((patch) => (updated(patch) ? 'updated' : 'created')));
        const stored = new Map((await store.findById([...created, seeded.id, twice, existing])).map((profile) => [profile.id, profile]));
        expect(created.map((id) => stored.get(id)?.properties.opens)).toEqual(created.map((_, i) => [i]));
        expect(stored.get(seeded.id)?.properties.opens).toEqual([3]);
        expect(stored.get(twice)?.properties.opens).toEqual([5]);
        expect(stored.get(existing)?.properties.opens).toEqual([15]);
      });

      it('refuses a call holding a patch no store can apply, before writing any of it', async () => {
        const ids = Array.from({ length: 600 }, (_, i) => freshId(`valid${i}`));
        const good: ProfilePatch[] = ids.map((id) => ({ profileId: id, createWith: { properties: {}, consent: { objectives: [] } }, ops: [] }));
        // Last in the call and in id order: a store checking as it writes would have written every good patch first.
        const unusable = [
          { properties: { email: [{ not: 'a value' }] }, consent: { objectives: [] } },
          { properties: {}, consent: {} },
          { properties: null, consent: { objectives: [] } },
        ] as unknown as NonNullable<ProfilePatch['createWith']>[];
        for (const createWith of unusable) {
          await expect(store.applyPatches([...good, { profileId: freshId('zz-unusable'), createWith, ops: [] }])).rejects.toThrow(StoreInputError);
          expect(await store.findById(ids)).toEqual([]);
        }
      });

      it('applies several patches to one profile in one call, in order', async () => {
        const id = freshId('p');
        const sum = (n: number, version: string): ProfilePatch => ({
          profileId: id,
          createWith: { properties: {}, consent: { objectives: [] } },
          ops: [{ property: 'opens', mode: 'sum', values: [n] }],
          version: { key: 'goal:list:m', value: version },
        });
        const results = await store.applyPatches([sum(1, 'v1'), sum(2, 'v2'), sum(4, 'v2')]);
        expect(results.map((r) => r.outcome)).toEqual(['created', 'updated', 'unchanged']);
        expect((await load(id)).properties.opens).toEqual([3]);
      });
    });

    describe('streamSegment', () => {
      async function seedSegment(size: number, segment: string, updatedAt = clock.now()): Promise<Profile[]> {
        const profiles = Array.from({ length: size }, () => makeProfile(freshId('p'), { segments: [segment], updatedAt }));
        await store.upsertProfiles(profiles);
        return profiles;
      }

      it('yields only the segment, in batches of batchSize, in the same order every time', async () => {
        const segment = freshId('seg');
        const members = await seedSegment(7, segment);
        await seedSegment(3, freshId('other'));
        await store.upsertProfiles([makeProfile(freshId('p'), { segments: [freshId('x'), segment] })]);

        const first = await collect(store.streamSegment({ segment, batchSize: 3 }));
        expect(first.map((batch) => batch.length)).toEqual([3, 3, 2]);
        const ids = first.flat().map((p) => p.id);
        expect(new Set(ids).size).toBe(8);
        expect(first.flat().every((p) => p.segments.includes(segment))).toBe(true);
        expect(ids).toEqual(expect.arrayContaining(members.map((p) => p.id)));

        const second = await collect(store.streamSegment({ segment, batchSize: 3 }));
        expect(second.flat().map((p) => p.id)).toEqual(ids);
        const wider = await collect(store.streamSegment({ segment, batchSize: 5 }));
        expect(wider.flat().map((p) => p.id)).toEqual(ids);
      });

      it('yields whole profiles with Date updatedAt', async () => {
        const segment = freshId('seg');
        const [member] = await seedSegment(1, segment);
        const batches = await collect(store.streamSegment({ segment }));
        expect(batches).toEqual([[member]]);
        expect(batches[0][0].updatedAt).toBeInstanceOf(Date);
      });

      it('yields nothing for an empty segment', async () => {
        expect(await collect(store.streamSegment({ segment: freshId('empty'), batchSize: 10 }))).toEqual([]);
      });

      it('with changedSince yields only profiles updated strictly after it', async () => {
        const segment = freshId('seg');
        const t = new Date('2026-02-01T12:00:00.000Z');
        await seedSegment(2, segment, new Date(t.getTime() - 1));
        await seedSegment(2, segment, t);
        const after = await seedSegment(3, segment, new Date(t.getTime() + 1));

        const changed = (await collect(store.streamSegment({ segment, changedSince: t }))).flat();
        expect(changed.map((p) => p.id).sort()).toEqual(after.map((p) => p.id).sort());
      });

      it('sees profiles changed by a patch after the watermark', async () => {
        const segment = freshId('seg');
        const [touched] = await seedSegment(2, segment, new Date('2025-01-01T00:00:00.000Z'));
        const watermark = new Date('2025-06-01T00:00:00.000Z');
        clock.set(new Date('2026-03-01T00:00:00.000Z'));
        await store.applyPatches([{ profileId: touched.id, ops: [{ property: 'x', mode: 'set', values: ['y'] }] }]);

        const changed = (await collect(store.streamSegment({ segment, changedSince: watermark }))).flat();
        expect(changed.map((p) => p.id)).toEqual([touched.id]);
      });

      it('streams a large segment completely', async () => {
        const segment = freshId('big');
        const members = await seedSegment(1200, segment);
        const batches = await collect(store.streamSegment({ segment, batchSize: 250 }));
        expect(batches.map((batch) => batch.length)).toEqual([250, 250, 250, 250, 200]);
        const ids = new Set(batches.flat().map((p) => p.id));
        expect(ids.size).toBe(1200);
        expect(members.every((p) => ids.has(p.id))).toBe(true);
      });
    });

    describe('count', () => {
      it('counts a segment exactly, and all profiles without one', async () => {
        const segment = freshId('seg');
        const before = await store.count();
        await store.upsertProfiles([
          makeProfile(freshId('p'), { segments: [segment] }),
          makeProfile(freshId('p'), { segments: [segment, freshId('x')] }),
          makeProfile(freshId('p')),
        ]);
        expect(await store.count({ segment })).toBe(2);
        expect(await store.count({ segment: freshId('none') })).toBe(0);
        expect(await store.count()).toBe(before + 3);
        expect(await store.count({})).toBe(before + 3);
      });
    });
  });
}
