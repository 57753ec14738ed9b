import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresFromEnvironment, type EmbeddedPostgres } from '@cdp/store-postgres';

/** A PostgreSQL server (DATABASE_URL, or a fresh embedded one) and a database of the test's own. */
export interface SourceDatabase {
  /** URL of the test's database. */
  url: string;
  /** Runs SQL as the owner of the database (to create and change the rows a source reads). */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

export async function startSourceDatabase(name: string): Promise<SourceDatabase> {
  const server: EmbeddedPostgres = await postgresFromEnvironment();
  const database = `${name}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const owner = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    sql: (text, values) => owner.query(text, values),
    async stop() {
      try {
        await owner.end();
        await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
      } finally {
        await admin.end();
        await server.stop();
      }
    },
  };
}
