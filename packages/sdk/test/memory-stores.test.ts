import { describe, expect, it } from '@jest/globals';
import { InMemoryProfileStore, InMemoryStateStore } from '@cdp/sdk';
import { describeProfileStoreContract, describeStateStoreContract, makeProfile, TestClock } from '../testing/store-contract.js';

const close = async (): Promise<void> => {};

describeProfileStoreContract('in memory', async () => {
  const clock = new TestClock();
  const store = new InMemoryProfileStore(clock);
  return { store, clock, deleteProfiles: (ids) => store.delete(ids), close };
});

describeStateStoreContract('in memory', async () => {
  const clock = new TestClock();
  return { store: new InMemoryStateStore(clock), clock, close };
});

describe('InMemoryProfileStore input checks', () => {
  it('refuses a batch size that is not a positive integer', async () => {
    const store = new InMemoryProfileStore(new TestClock());
    await store.upsertProfiles([makeProfile('p1', { segments: ['s'] })]);
    for (const batchSize of [0, -1, 1.5]) {
      await expect(store.streamSegment({ segment: 's', batchSize })[Symbol.asyncIterator]().next()).rejects.toThrow(
        `batchSize must be a positive integer, got ${batchSize}`,
      );
    }
  });

  it('keeps a property named __proto__ as an ordinary property through copies', async () => {
    const store = new InMemoryProfileStore(new TestClock());
    const properties = JSON.parse('{"__proto__": ["x@example.com"]}') as Record<string, string[]>;
    await store.upsertProfiles([makeProfile('p1', { properties })]);

    const [stored] = await store.findById(['p1']);
    expect(Object.hasOwn(stored.properties, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(stored.properties)).toBe(Object.prototype);
    expect((await store.findByIdentifier('__proto__', ['x@example.com'])).map((p) => p.id)).toEqual(['p1']);
  });

  it('refuses a sum that is not one finite number and leaves the whole batch unapplied', async () => {
    const store = new InMemoryProfileStore(new TestClock());
    await store.upsertProfiles([makeProfile('p1', { properties: { opens: [1] } })]);
    await expect(
      store.applyPatches([
        { profileId: 'p1', ops: [{ property: 'opens', mode: 'sum', values: [2] }] },
        { profileId: 'p1', ops: [{ property: 'opens', mode: 'sum', values: ['3'] }] },
      ]),
    ).rejects.toThrow('a sum on opens needs exactly one finite number');
    const [stored] = await store.findById(['p1']);
    expect(stored.properties.opens).toEqual([1]);
  });
});

describe('InMemoryStateStore input checks', () => {
  it('refuses a lease that is not a positive duration, and keeps the lock free', async () => {
    const store = new InMemoryStateStore(new TestClock());
    await expect(store.acquireLock('c', 'a', 0)).rejects.toThrow('A lock lease must be a positive number of milliseconds, got 0');
    await expect(store.acquireLock('c', 'a', Number.NaN)).rejects.toThrow('got NaN');
    expect(await store.acquireLock('c', 'b', 1000)).toEqual({ acquired: true });
  });
});
