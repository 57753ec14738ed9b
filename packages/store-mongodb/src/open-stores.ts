import type { Clock } from '@cdp/sdk';
import { MongoClient, type Db } from 'mongodb';
import { MongoProfileStore } from './mongo-profile-store.js';
import { MongoStateStore } from './mongo-state-store.js';

export interface MongoStores {
  client: MongoClient;
  db: Db;
  profiles: MongoProfileStore;
  state: MongoStateStore;
  close(): Promise<void>;
}

/** Connects, creates the indexes of both stores, and hands back the stores with one `close`. */
export async function openMongoStores(
  uri: string,
  options: { database: string; uniqueIdentifiers: string[]; clock?: Clock },
): Promise<MongoStores> {
  const client = await new MongoClient(uri).connect();
  try {
    const db = client.db(options.database);
    const profiles = new MongoProfileStore(db, { uniqueIdentifiers: options.uniqueIdentifiers, clock: options.clock });
    const state = new MongoStateStore(db, { clock: options.clock });
    await profiles.init();
    await state.init();
    return { client, db, profiles, state, close: () => client.close() };
  } catch (error) {
    await client.close();
    throw error;
  }
}
