import { InMemoryProfileStore, type Profile } from '@cdp/sdk';
import { syntheticProfile } from './synthetic-data.js';

const LOAD_CHUNK = 10_000;

/** An in-memory store holding profiles 0..count-1, all last changed at `updatedAt`. */
export async function loadedProfileStore(count: number, updatedAt: Date): Promise<InMemoryProfileStore> {
  const store = new InMemoryProfileStore();
  for (let start = 0; start < count; start += LOAD_CHUNK) {
    const chunk: Profile[] = [];
    for (let index = start; index < Math.min(count, start + LOAD_CHUNK); index++) chunk.push(syntheticProfile(index, updatedAt));
    await store.upsertProfiles(chunk);
  }
  return store;
}
