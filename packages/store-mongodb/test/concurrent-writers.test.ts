import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProfilePatch } from '@cdp/sdk';
import { makeProfile, TestClock } from '../../sdk/testing/store-contract.js';
import { MongoProfileStore } from '../src/mongo-profile-store.js';
import { MongoStateStore } from '../src/mongo-state-store.js';
import { startTestMongo, type TestMongo } from './support.js';

/** Two stores on two separate MongoClients: two processes, as far as the server can tell. */
describe('two writers on separate clients', () => {
  let mongo: TestMongo;
  let profiles: [MongoProfileStore, MongoProfileStore];
  let states: [MongoStateStore, MongoStateStore];
  const clock = new TestClock();
  /** Conditional updates that matched nothing: a writer found the profile changed since it read it. */
  let missedUpdates = 0;

  beforeAll(async () => {
    mongo = await startTestMongo('concurrent');
    const [first, second] = [await mongo.connect({ monitorCommands: true }), await mongo.connect({ monitorCommands: true })];
    for (const client of [first, second]) {
      client.on('commandSucceeded', (event) => {
        if (event.commandName === 'update' && (event.reply as { n?: number }).n === 0) missedUpdates++;
      });
    }
    profiles = [first, second].map((client) => new MongoProfileStore(client.db(mongo.database), { uniqueIdentifiers: ['email'] })) as [MongoProfileStore, MongoProfileStore];
    states = [first, second].map((client) => new MongoStateStore(client.db(mongo.database), { clock })) as [MongoStateStore, MongoStateStore];
    await profiles[0].init();
    await states[0].init();
  });
  afterAll(async () => {
    await mongo.stop();
  });

  it('add up concurrent sum patches exactly, and keep each other’s writes to other properties', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `sum-${i}`);
    await profiles[0].upsertProfiles(ids.map((id) => makeProfile(id, { properties: { opens: [1] } })));
    const rounds = 25;
    const writer = async (store: MongoProfileStore, amount: number, tag: string): Promise<void> => {
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
    // The writers did collide, so the compare-and-set retry path is what kept the totals exact.
    expect(missedUpdates).toBeGreaterThan(0);

    for (const profile of await profiles[0].findById(ids)) {
      expect(profile.properties.opens).toEqual([1 + rounds * 1 + rounds * 2.5]);
      expect(new Set(profile.properties.tags)).toEqual(new Set(Array.from({ length: rounds }, (_, i) => [`a${i}`, `b${i}`]).flat()));
    }
  });

  it('apply a versioned sum once even when both writers send it at the same time', async () => {
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
    for (let race = 0; race < 50; race++) {
      const connection = `fresh-${race}`;
      const answers = await Promise.all([states[0].acquireLock(connection, 'a', 30_000), states[1].acquireLock(connection, 'b', 30_000)]);
      expect(answers.filter((answer) => answer.acquired)).toHaveLength(1);
      const refusal = answers.find((answer) => !answer.acquired);
      expect(refusal).toMatchObject({ acquired: false, owner: answers[0].acquired ? 'a' : 'b' });
    }
  });

  it('never both take over an expired lease: 50 races', async () => {
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
