import { MongoBackend } from '@agendajs/mongo-backend';
import { PostgresBackend } from '@agendajs/postgres-backend';
import type { AgendaBackend } from 'agenda';
import type { Db } from 'mongodb';
import type { Pool } from 'pg';
import { JOBS_COLLECTION, JOBS_TABLE, jobIdOf } from './scheduled-run-job.js';

/** Where Agenda keeps the scheduled-run jobs, and how a connection's one job is found when it is saved. */
export interface JobStore {
  backend: AgendaBackend;
  /** The key a connection's job is upserted by, so workers refreshing at once keep one job per connection. */
  uniqueKey(connectionId: string): Record<string, unknown>;
  /** Whether a save failed because another worker saved the same connection's job at the same moment. */
  isDuplicate(error: unknown): boolean;
  /** One round trip to the database: it throws when the database does not answer (a readiness check). */
  ping(): Promise<void>;
}

/**
 * Jobs in MongoDB (collection `agendaJobs`). The job's `_id` is derived from the connection id: the upsert by `_id`
 * is atomic even on servers whose `findOneAndUpdate` is not.
 */
export function mongoJobs(db: Db): JobStore {
  return {
    backend: new MongoBackend({ mongo: db, collection: JOBS_COLLECTION }),
    uniqueKey: (connectionId) => ({ _id: jobIdOf(connectionId) }),
    isDuplicate: (error) => (error as { code?: unknown }).code === 11000,
    ping: async () => void (await db.command({ ping: 1 })),
  };
}

/** Jobs in PostgreSQL (table `agenda_jobs`), on the stores' pool; due jobs are announced with LISTEN/NOTIFY. */
export function postgresJobs(pool: Pool): JobStore {
  return {
    backend: new OneAtATimeSchemaBackend(pool),
    uniqueKey: (connectionId) => ({ 'data.connectionId': connectionId }),
    isDuplicate: (error) => (error as { code?: unknown }).code === '23505',
    ping: async () => void (await pool.query('SELECT 1')),
  };
}

/**
 * Agenda's PostgreSQL backend, connecting one process at a time: its schema statements (`CREATE … IF NOT EXISTS`)
 * fail with a duplicate key when two workers start together on a fresh database. It also makes the database hold
 * one job per connection: the backend's unique save reads, then inserts, so two workers saving a connection's
 * first job at the same moment would both insert (duplicates a version without the index left are dropped first).
 */
class OneAtATimeSchemaBackend extends PostgresBackend {
  constructor(private readonly lockPool: Pool) {
    super({ pool: lockPool, tableName: JOBS_TABLE });
  }

  override async connect(): Promise<void> {
    const client = await this.lockPool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('cdp-agenda-schema'))");
      try {
        await super.connect();
        const table = `"${JOBS_TABLE}"`;
        await client.query(`DELETE FROM ${table} a USING ${table} b WHERE a.name = b.name AND a.data->>'connectionId' = b.data->>'connectionId' AND a.id > b.id`);
        await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS "${JOBS_TABLE}_one_per_connection" ON ${table} (name, (data->>'connectionId'))`);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('cdp-agenda-schema'))");
      }
    } finally {
      client.release();
    }
  }
}
