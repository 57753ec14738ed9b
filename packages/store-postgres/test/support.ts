import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresFromEnvironment, type EmbeddedPostgres } from '../src/embedded-postgres.js';
import { createPool } from '../src/open-stores.js';

/** A PostgreSQL to test against (DATABASE_URL, or a fresh embedded server) and a database no other test uses. */
export interface TestPostgres {
  /** URL of the test's own database. */
  url: string;
  /** A new pool on the test's database; ended by `stop`. */
  connect(config?: pg.PoolConfig): pg.Pool;
  stop(): Promise<void>;
}

export async function startTestPostgres(name: string): Promise<TestPostgres> {
  const server: EmbeddedPostgres = await postgresFromEnvironment();
  const database = `${name}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const pools: pg.Pool[] = [];
  return {
    url: url.toString(),
    connect(config) {
      const pool = createPool({ connectionString: url.toString(), ...config });
      pools.push(pool);
      return pool;
    },
    async stop() {
      try {
        await Promise.all(pools.map((pool) => pool.end()));
        await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
      } finally {
        await admin.end();
        await server.stop();
      }
    },
  };
}
