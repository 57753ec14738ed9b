import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openMongoStores, startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { assertBuilt, childEnv, runCdp } from './support/cli-process.js';

const DATABASE = 'own-demo';
let mongo: EmbeddedMongo;

beforeAll(async () => {
  assertBuilt();
  mongo = await startEmbeddedMongo(DATABASE);
});

afterAll(async () => {
  await mongo?.stop();
});

describe('cdp demo (npm start)', () => {
  it('uses MONGODB_URI when it is set, and says which database it used', async () => {
    const result = await runCdp(['demo'], childEnv({ MONGODB_URI: mongo.uri }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`MongoDB from MONGODB_URI: ${mongo.uri} (database ${DATABASE})`);
    expect(result.stdout).not.toContain('in-memory');

    const stores = await openMongoStores(mongo.uri, { database: DATABASE, uniqueIdentifiers: ['email'] });
    try {
      expect(await stores.profiles.count()).toBeGreaterThan(0);
      expect(await stores.state.listRuns({ connectionId: 'newsletter' })).toHaveLength(2);
    } finally {
      await stores.close();
    }
  });
});
