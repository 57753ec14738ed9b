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

  it('--json prints the two run reports as JSON on standard output and the story on standard error', async () => {
    const result = await runCdp(['demo', '--json'], childEnv({ MONGODB_URI: mongo.uri.replace(`/${DATABASE}`, '/json-demo') }));
    expect(result.code).toBe(0);
    const { first, second, secondRunWriteCalls } = JSON.parse(result.stdout);
    expect(first).toMatchObject({ status: 'succeeded', connectionId: 'newsletter' });
    const exported = second.goals.find((goal: { kind: string }) => goal.kind === 'export').audiences[0];
    expect(exported).toMatchObject({ created: 0, updated: 0, removed: 0 });
    expect(exported.unchanged).toBeGreaterThan(0);
    expect(secondRunWriteCalls).toBe(0);
    expect(result.stderr).toContain('Second run: nothing to send to Mailchimp');
  });
});
