import type { StateStore } from '@cdp/sdk';
import { MongoStateStore, startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { createPool, PostgresStateStore, startEmbeddedPostgres, type EmbeddedPostgres } from '@cdp/store-postgres';
import { JOBS_COLLECTION, JOBS_TABLE, mongoJobs, postgresJobs, type JobStore } from '@cdp/scheduler';
import { MongoClient } from 'mongodb';
import type pg from 'pg';

/** One database of a backend, reached as separate processes would: every `state()` and `jobs()` on its own connection. */
export interface TestDatabase {
  state(): Promise<StateStore>;
  jobs(): Promise<JobStore>;
  /** The scheduled-run jobs as stored. */
  storedJobs(): Promise<{ connectionId: string; nextRunAt: Date | null }[]>;
  /** What a lost or non-atomic Agenda lock amounts to: the job is handed out again for the same slot. */
  redeliver(slot: Date): Promise<void>;
}

/** A server of one backend the scheduler tests run on; each test takes a fresh database. */
export interface TestBackend {
  name: string;
  start(): Promise<void>;
  database(name: string): Promise<TestDatabase>;
  stop(): Promise<void>;
}

function mongoBackend(): TestBackend {
  let server: EmbeddedMongo;
  const clients: MongoClient[] = [];
  const connect = async (database: string) => {
    const client = await MongoClient.connect(server.uri);
    clients.push(client);
    return client.db(database);
  };
  return {
    name: 'MongoDB',
    start: async () => void (server = await startEmbeddedMongo('scheduler')),
    async database(name) {
      const jobsOf = async () => (await connect(name)).collection(JOBS_COLLECTION);
      return {
        async state() {
          const store = new MongoStateStore(await connect(name));
          await store.init();
          return store;
        },
        jobs: async () => mongoJobs(await connect(name)),
        storedJobs: async () => (await (await jobsOf()).find({}).toArray()).map((job) => ({ connectionId: job.data.connectionId as string, nextRunAt: job.nextRunAt as Date | null })),
        redeliver: async (slot) => void (await (await jobsOf()).updateOne({}, { $set: { nextRunAt: slot, 'data.slot': slot, lockedAt: null } })),
      };
    },
    async stop() {
      await Promise.all(clients.map((client) => client.close()));
      await server.stop();
    },
  };
}

function postgresBackend(): TestBackend {
  let server: EmbeddedPostgres;
  const pools: pg.Pool[] = [];
  const connect = (database: string) => {
    const url = new URL(server.url);
    url.pathname = `/${database}`;
    const pool = createPool({ connectionString: url.toString() });
    pools.push(pool);
    return pool;
  };
  return {
    name: 'PostgreSQL',
    start: async () => void (server = await startEmbeddedPostgres()),
    async database(name) {
      await connect('postgres').query(`CREATE DATABASE "${name}"`);
      const admin = connect(name);
      return {
        async state() {
          const store = new PostgresStateStore(connect(name));
          await store.init();
          return store;
        },
        jobs: async () => postgresJobs(connect(name)),
        async storedJobs() {
          const { rows } = await admin.query<{ data: { connectionId: string }; next_run_at: Date | null }>(`SELECT data, next_run_at FROM ${JOBS_TABLE}`);
          return rows.map((row) => ({ connectionId: row.data.connectionId, nextRunAt: row.next_run_at }));
        },
        redeliver: async (slot) =>
          void (await admin.query(`UPDATE ${JOBS_TABLE} SET next_run_at = $1, data = jsonb_set(data, '{slot}', to_jsonb($2::text)), locked_at = NULL`, [slot, slot.toISOString()])),
      };
    },
    async stop() {
      await Promise.all(pools.map((pool) => pool.end()));
      await server.stop();
    },
  };
}

/** The backends every scheduler test runs on. */
export const BACKENDS: TestBackend[] = [mongoBackend(), postgresBackend()];
