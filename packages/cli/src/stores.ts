import type { ProfileStore, StateStore } from '@cdp/sdk';
import { mongoJobs, postgresJobs, type JobStore } from '@cdp/scheduler';
import { openPostgresStores } from '@cdp/store-postgres';
import { envValue } from './env.js';
import { cannotReach, connectStores, requireMongoUri } from './mongo.js';

/** How long to wait for a PostgreSQL connection before saying the server cannot be reached. */
const CONNECT_TIMEOUT_MS = 3000;

/** The stores a command works on, and where the scheduler keeps its jobs, whichever backend holds them. */
export interface HostStores {
  backend: 'postgres' | 'mongodb';
  profiles: ProfileStore;
  state: StateStore;
  jobs: JobStore;
  close(): Promise<void>;
}

/**
 * PostgreSQL when DATABASE_URL is a `postgres://` or `postgresql://` URL, otherwise MongoDB at `mongoUri` or
 * MONGODB_URI (refused with a hint when neither is set).
 */
export async function openStores(env: NodeJS.ProcessEnv, uniqueIdentifiers: string[], mongoUri?: string): Promise<HostStores> {
  const databaseUrl = envValue(env, 'DATABASE_URL');
  if (!mongoUri && databaseUrl && /^postgres(?:ql)?:\/\//i.test(databaseUrl)) {
    try {
      const stores = await openPostgresStores(databaseUrl, { uniqueIdentifiers, pool: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS } });
      return { backend: 'postgres', ...stores, jobs: postgresJobs(stores.pool) };
    } catch (error) {
      throw cannotReach('PostgreSQL', databaseUrl, error);
    }
  }
  const stores = await connectStores(mongoUri ?? requireMongoUri(env), uniqueIdentifiers);
  return { backend: 'mongodb', ...stores, jobs: mongoJobs(stores.db) };
}
