import type { Clock } from '@cdp/sdk';
import pg from 'pg';
import { PostgresProfileStore } from './postgres-profile-store.js';
import { PostgresStateStore } from './postgres-state-store.js';

export interface PostgresStores {
  pool: pg.Pool;
  profiles: PostgresProfileStore;
  state: PostgresStateStore;
  close(): Promise<void>;
}

/**
 * A pool that survives its server ending idle connections (a restart, an administrator): the pool drops the broken
 * connection and opens a new one for the next query, where an unhandled `error` event would end the process.
 */
export function createPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  return pool;
}

/** Connects a pool, creates the schema of both stores when missing, and hands back the stores with one `close`. */
export async function openPostgresStores(url: string, options: { uniqueIdentifiers: string[]; clock?: Clock; pool?: pg.PoolConfig }): Promise<PostgresStores> {
  const pool = createPool({ connectionString: url, ...options.pool });
  try {
    const profiles = new PostgresProfileStore(pool, { uniqueIdentifiers: options.uniqueIdentifiers, clock: options.clock });
    const state = new PostgresStateStore(pool, { clock: options.clock });
    await profiles.init();
    await state.init();
    return { pool, profiles, state, close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
