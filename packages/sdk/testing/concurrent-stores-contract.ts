import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProfilePatch, ProfileStore, StateStore } from '@cdp/sdk';
import { makeProfile } from './profile-store-contract.js';
import type { TestClock } from './test-clock.js';

export interface OpenedConcurrentStores {
  /** Two stores on one database over separate connections: two processes, as far as the server can tell. */
  profiles: [ProfileStore, ProfileStore];
  states: [StateStore, StateStore];
  clock: TestClock;
  /** When the backend can tell: whether concurrent patches really collided (and so the retry path was taken). */
  collided?: () => boolean;
  close(): Promise<void>;
}

/** What two writers on separate connections must never break: exact sums, once-only versions, one lock holder. */
export function describeConcurrentStoresContract(name: string, open: () => Promise<OpenedConcurrentStores>): void {
  describe(`two writers on separate connections: ${name}`, () => {
    let opened: OpenedConcurrentStores;

    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened.close();
    });

    it('add up concurrent sum patches exactly, and keep each other’s writes to other properties', async () => {
      const { profiles } = opened;
      const ids = Array.from({ length: 10 }, (_, i) => `sum-${i}`);
      await profiles[0].upsertProfiles(ids.map((id) => makeProfile(id, { properties: { opens: [1] } })));
      const rounds = 25;
      const writer = async (store: ProfileStore, amount: number, tag: string): Promise<void> => {
        for (let round = 0; round < rounds; round++) {
          const patches: ProfilePatch[] = ids.map((profileId) => ({
            profileId,
            ops: [
              { property: 'opens', mode: 'sum', values: [amount] },
              { property: 'tags', mode: 'add', values: [`${tag}${round}`] },
            ],
          }));
          const results = await store.applyPatches(patches);
          expect(results.every((result) => result.outcome === 'updated')).toBe(true);
        }
      };
      await Promise.all([writer(profiles[0], 1, 'a'), writer(profiles[1], 2.5, 'b')]);
      if (opened.collided) expect(opened.collided()).toBe(true);

      for (const profile of await profiles[0].findById(ids)) {
        expect(profile.properties.opens).toEqual([1 + rounds * 1 + rounds * 2.5]);
        expect(new Set(profile.properties.tags)).toEqual(new Set(Array.from({ length: rounds }, (_, i) => [`a${i}`, `b${i}`]).flat()));
      }
    });

    it('create a profile once when both writers create it at the same time, and apply both patches', async () => {
      const { profiles } = opened;
      for (let race = 0; race < 10; race++) {
        const patch = (amount: number): ProfilePatch => ({
          profileId: `created-${race}`,
          createWith: { properties: {}, consent: { objectives: [] } },
          ops: [{ property: 'opens', mode: 'sum', values: [amount] }],
        });
        const [a, b] = await Promise.all([profiles[0].applyPatches([patch(1)]), profiles[1].applyPatches([patch(2)])]);
        expect([a[0].outcome, b[0].outcome].sort()).toEqual(['created', 'updated']);
        expect((await profiles[0].findById([`created-${race}`]))[0].properties.opens).toEqual([3]);
      }
    });

    it('create each profile of two large overlapping batches once, when both writers send them at the same time', async () => {
      const { profiles } = opened;
      const creating = (i: number, amount: number): ProfilePatch => ({
        profileId: `bulk-${String(i).padStart(4, '0')}`,
        createWith: { properties: {}, consent: { objectives: [] } },
        ops: [{ property: 'opens', mode: 'sum', values: [amount] }],
      });
      // 0-599 and 300-899 at once: both writers create 300-599, so whichever comes second collides on each of them.
      const first = Array.from({ length: 600 }, (_, i) => creating(i, 1));
      const second = Array.from({ length: 600 }, (_, i) => creating(i + 300, 2));
      const [a, b] = await Promise.all([profiles[0].applyPatches(first), profiles[1].applyPatches(second)]);
      const outcomes = new Map<string, string[]>();
      for (const { profileId, outcome } of [...a, ...b]) outcomes.set(profileId, [...(outcomes.get(profileId) ?? []), outcome].sort());
      const stored = await profiles[0].findById([...outcomes.keys()]);
      expect(stored).toHaveLength(900);
      for (const profile of stored) {
        const index = Number(profile.id.slice('bulk-'.length));
        const overlap = index >= 300 && index < 600;
        expect(outcomes.get(profile.id)).toEqual(overlap ? ['created', 'updated'] : ['created']);
        expect(profile.properties.opens).toEqual([overlap ? 3 : index < 300 ? 1 : 2]);
      }
    });

    it('apply a versioned sum once even when both writers send it at the same time', async () => {
      const { profiles } = opened;
      await profiles[0].upsertProfiles([makeProfile('versioned', { properties: { opens: [0] } })]);
      const patch = (value: string): ProfilePatch => ({
        profileId: 'versioned',
        ops: [{ property: 'opens', mode: 'sum', values: [3] }],
        version: { key: 'goal:list:member', value },
      });
      for (const version of ['v1', 'v2', 'v3', 'v4', 'v5']) {
        const [a, b] = await Promise.all([profiles[0].applyPatches([patch(version)]), profiles[1].applyPatches([patch(version)])]);
        expect([a[0].outcome, b[0].outcome].sort()).toEqual(['unchanged', 'updated']);
      }
      const [stored] = await profiles[0].findById(['versioned']);
      expect(stored.properties.opens).toEqual([15]);
    });

    it('never both hold a fresh lock: 50 races for the first acquisition', async () => {
      const { states } = opened;
      for (let race = 0; race < 50; race++) {
        const connection = `fresh-${race}`;
        const answers = await Promise.all([states[0].acquireLock(connection, 'a', 30_000), states[1].acquireLock(connection, 'b', 30_000)]);
        expect(answers.filter((answer) => answer.acquired)).toHaveLength(1);
        const refusal = answers.find((answer) => !answer.acquired);
        expect(refusal).toMatchObject({ acquired: false, owner: answers[0].acquired ? 'a' : 'b' });
      }
    });

    it('never both take over an expired lease: 50 races', async () => {
      const { states, clock } = opened;
      const lease = 10_000;
      await states[0].acquireLock('takeover', 'crashed', lease);
      let previous = 'crashed';
      for (let race = 0; race < 50; race++) {
        clock.advance(lease);
        const answers = await Promise.all([states[0].acquireLock('takeover', `a${race}`, lease), states[1].acquireLock('takeover', `b${race}`, lease)]);
        const winners = answers.filter((answer) => answer.acquired);
        expect(winners).toHaveLength(1);
        const winner = answers[0].acquired ? `a${race}` : `b${race}`;
        expect(await states[0].renewLock('takeover', previous, lease)).toBe(false);
        previous = winner;
      }
    });

    it('take over a lease whose holder stopped heart-beating, only after it expires', async () => {
      const { states, clock } = opened;
      const lease = 30_000;
      const heartbeat = 10_000;
      expect(await states[0].acquireLock('heartbeat', 'holder', lease)).toEqual({ acquired: true });
      for (let beat = 0; beat < 6; beat++) {
        clock.advance(heartbeat);
        expect(await states[0].renewLock('heartbeat', 'holder', lease)).toBe(true);
        expect((await states[1].acquireLock('heartbeat', 'waiter', lease)).acquired).toBe(false);
      }
      // The holder crashes: no more heartbeats. Until the last lease ends the waiter is refused.
      clock.advance(lease - 1);
      expect(await states[1].acquireLock('heartbeat', 'waiter', lease)).toMatchObject({ acquired: false, owner: 'holder' });
      clock.advance(1);
      expect(await states[1].acquireLock('heartbeat', 'waiter', lease)).toEqual({ acquired: true });
      expect(await states[0].renewLock('heartbeat', 'holder', lease)).toBe(false);
    });
  });
}
