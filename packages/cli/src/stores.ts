import type { JobStore } from '@cdp/scheduler';
import type { ProfileStore, StateStore } from '@cdp/sdk';
import { envValue } from './env.js';
import { cannotReach, connectStores, requireMongoUri } from './mongo.js';

/** How long to wait for a PostgreSQL connection before saying the server cannot be reached. */
const CONNECT_TIMEOUT_MS = 3000;

/** The stores a command works on, and where the scheduler keeps its jobs, whichever backend holds them. */
export interface HostStores {
  backend: 'postgres' | 'mongodb';
  profiles: ProfileStore;
  state: StateStore;
  /** The scheduler's jobs on the same database; the scheduler (Agenda and its backends) is loaded only by this call. */
  jobs(): Promise<JobStore>;
  close(): Promise<void>;
}

/**
 * PostgreSQL when DATABASE_URL is a `postgres://` or `postgresql://` URL, otherwise MongoDB at `mongoUri` or
 * MONGODB_URI (refused with a hint when neither is set). Only the chosen backend's driver is loaded.
 */
export async function openStores(env: NodeJS.ProcessEnv, uniqueIdentifiers: string[], mongoUri?: string): Promise<HostStores> {
  const databaseUrl = envValue(env, 'DATABASE_URL');
  if (!mongoUri && databaseUrl && /^postgres(?:ql)?:\/\//i.test(databaseUrl)) {
    const { openPostgresStores } = await import('@cdp/store-postgres');
    try {
      const stores = await openPostgresStores(databaseUrl, { uniqueIdentifiers, pool: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS } });
      return { backend: 'postgres', ...stores, jobs: async () => (await import('@cdp/scheduler')).postgresJobs(stores.pool) };
    } catch (error) {
      throw cannotReach('PostgreSQL', databaseUrl, error);
    }
  }
  const stores = await connectStores(mongoUri ?? requireMongoUri(env), uniqueIdentifiers);
  return { backend: 'mongodb', ...stores, jobs: async () => (await import('@cdp/scheduler')).mongoJobs(stores.db) };
}
