import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { PostgresProfileStore, startEmbeddedPostgres, type EmbeddedPostgres } from '@cdp/store-postgres';
import { makeProfile } from '../../sdk/testing/store-contract.js';
import { CliError } from '../src/exit-codes.js';
import { openStores } from '../src/stores.js';

describe('the stores a command opens, chosen by URL', () => {
  let postgres: EmbeddedPostgres;
  let mongo: EmbeddedMongo;

  beforeAll(async () => {
    [postgres, mongo] = await Promise.all([startEmbeddedPostgres(), startEmbeddedMongo('cli_stores')]);
  });
  afterAll(async () => {
    await Promise.all([postgres.stop(), mongo.stop()]);
  });

  it('is PostgreSQL when DATABASE_URL is a postgres URL, even with MONGODB_URI set', async () => {
    const stores = await openStores({ DATABASE_URL: postgres.url, MONGODB_URI: mongo.uri }, ['email']);
    try {
      expect(stores.backend).toBe('postgres');
      expect(stores.profiles).toBeInstanceOf(PostgresProfileStore);
      await stores.profiles.upsertProfiles([makeProfile('chosen', { properties: { email: ['a@example.com'] } })]);
      expect((await stores.profiles.findByIdentifier('email', ['A@example.com'])).map((profile) => profile.id)).toEqual(['chosen']);
    } finally {
      await stores.close();
    }
  });

  it('is MongoDB with MONGODB_URI alone, with a DATABASE_URL of another kind, or when the caller names a MongoDB', async () => {
    for (const env of [{ MONGODB_URI: mongo.uri }, { MONGODB_URI: mongo.uri, DATABASE_URL: 'mysql://127.0.0.1/cdp' }]) {
      const stores = await openStores(env, []);
      expect(stores.backend).toBe('mongodb');
      await stores.close();
    }
    const named = await openStores({ DATABASE_URL: postgres.url }, [], mongo.uri);
    expect(named.backend).toBe('mongodb');
    await named.close();
  });

  it('refuses an unreachable PostgreSQL within seconds, naming it without its password', async () => {
    const attempt = openStores({ DATABASE_URL: 'postgres://cdp:s3cr@t@127.0.0.1:1/cdp' }, []);
    await expect(attempt).rejects.toThrow(CliError);
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).toMatch(/^Cannot reach PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/cdp: /);
    expect(message).not.toContain('s3cr');
  });
});
