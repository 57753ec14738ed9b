import { randomUUID } from 'node:crypto';
import type { Clock, ProfileStore, StateStore } from '@cdp/sdk';
import { JOBS_COLLECTION, JOBS_TABLE, mongoJobs, postgresJobs, type JobStore } from '@cdp/scheduler';
import { mongoFromEnvironment, openMongoStores, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { createPool, openPostgresStores, postgresFromEnvironment, type EmbeddedPostgres, type PostgresStores } from '@cdp/store-postgres';
import { MongoClient } from 'mongodb';
import type pg from 'pg';

// The servers the tests that need a real store run on: MongoDB (MONGODB_URI, or the embedded server) and PostgreSQL
// (DATABASE_URL, or the npm-shipped binaries). A test file starts a backend once, takes a fresh database per test,
// and opens stores on it as separate processes would: each `open()` on a connection of its own.

/** The stores of one connection to a test database, and where the scheduler keeps its jobs there. */
export interface TestStores {
  profiles: ProfileStore;
  state: StateStore;
  jobs: JobStore;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Unique-identifier properties of the profile store; `email` unless given. */
  uniqueIdentifiers?: string[];
  clock?: Clock;
}

/** One database of a backend. */
export interface TestDatabase<S extends TestStores = TestStores> {
  /** The database's name on the server. */
  name: string;
  /** Stores on a new connection of their own; closed by `close` unless closed before. */
  open(options?: OpenOptions): Promise<S>;
  /** The scheduled-run jobs as stored. */
  storedJobs(): Promise<{ connectionId: string; nextRunAt: Date | null }[]>;
  /** What a lost or non-atomic Agenda lock amounts to: the job is handed out again for the same slot. */
  redeliver(slot: Date): Promise<void>;
  /** Closes every connection opened on the database (on the server DATABASE_URL names, PostgreSQL also drops it). */
  close(): Promise<void>;
}

/** A server of one backend; each test takes a fresh database. */
export interface StoreBackend<S extends TestStores = TestStores> {
  name: 'MongoDB' | 'PostgreSQL';
  start(): Promise<void>;
  /** A new database named `name` plus a random suffix, so that runs on a shared server never meet. */
  database(name: string): Promise<TestDatabase<S>>;
  /** What a server restart or an administrator does to clients: every session on the database ends (where the backend can). */
  endSessions?(database: { name: string }): Promise<void>;
  /** An unreachable database, where the backend can make one: new sessions are refused and open ones end; or accepted again. */
  refuseConnections?(database: { name: string }, refuse: boolean): Promise<void>;
  /** Stops the server once every database is closed. */
  stop(): Promise<void>;
}

export type MongoTestStores = MongoStores & { jobs: JobStore };
export type PostgresTestStores = PostgresStores & { jobs: JobStore };

const uniqueName = (name: string) => `${name.replaceAll('-', '_')}_${randomUUID().slice(0, 8)}`;

/** `close` that closes on the first call only: stores are closed by their user, and again by their database's `close`. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

/** Closes what a database opened, whatever fails. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled(closers.splice(0).map((close) => close()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** MongoDB at MONGODB_URI or an embedded server of its own, or on `given`, a server already running (left running). */
export function mongoBackend(serverName = 'cdp-test', given?: EmbeddedMongo): StoreBackend<MongoTestStores> {
  let server: EmbeddedMongo | undefined;
  const running = () => {
    if (!server) throw new Error('the MongoDB backend is not started: start it in beforeAll');
    return server;
  };
  return {
    name: 'MongoDB',
    start: async () => void (server = given ?? (await mongoFromEnvironment(serverName))),
    async database(base) {
      const name = uniqueName(base);
      const closers: (() => Promise<void>)[] = [];
      let admin: Promise<MongoClient> | undefined;
      const jobs = async () => {
        admin ??= MongoClient.connect(running().uri).then((client) => {
          closers.push(() => client.close());
          return client;
        });
        return (await admin).db(name).collection(JOBS_COLLECTION);
      };
      return {
        name,
        async open(options = {}) {
          const stores = await openMongoStores(running().uri, { database: name, uniqueIdentifiers: options.uniqueIdentifiers ?? ['email'], clock: options.clock });
          const close = once(() => stores.close());
          closers.push(close);
          return { ...stores, jobs: mongoJobs(stores.db), close };
        },
        storedJobs: async () => (await (await jobs()).find({}).toArray()).map((job) => ({ connectionId: job.data.connectionId as string, nextRunAt: job.nextRunAt as Date | null })),
        redeliver: async (slot) => void (await (await jobs()).updateOne({}, { $set: { nextRunAt: slot, 'data.slot': slot, lockedAt: null } })),
        close: () => closeAll(closers),
      };
    },
    async stop() {
      if (!given) await server?.stop();
      server = undefined;
    },
  };
}

/** PostgreSQL at DATABASE_URL, or an embedded server of its own. */
export function postgresBackend(): StoreBackend<PostgresTestStores> {
  let server: EmbeddedPostgres | undefined;
  let admin: pg.Pool | undefined;
  const running = () => {
    if (!server || !admin) throw new Error('the PostgreSQL backend is not started: start it in beforeAll');
    return { server, admin };
  };
  const urlOf = (database: string) => {
    const url = new URL(running().server.url);
    url.pathname = `/${database}`;
    return url.toString();
  };
  // The embedded server goes with its folder; on the server DATABASE_URL names, each test's database is dropped.
  const embedded = !process.env.DATABASE_URL;
  return {
    name: 'PostgreSQL',
    async start() {
      server = await postgresFromEnvironment();
      admin = createPool({ connectionString: server.url, max: 2 });
    },
    async database(base) {
      const name = uniqueName(base);
      await running().admin.query(`CREATE DATABASE "${name}"`);
      const closers: (() => Promise<void>)[] = [];
      let rows: pg.Pool | undefined;
      const query = <R extends pg.QueryResultRow>(sql: string, values?: unknown[]) => {
        if (!rows) {
          const pool = (rows = createPool({ connectionString: urlOf(name), max: 2 }));
          closers.push(() => pool.end());
        }
        return rows.query<R>(sql, values);
      };
      return {
        name,
        async open(options = {}) {
          const stores = await openPostgresStores(urlOf(name), { uniqueIdentifiers: options.uniqueIdentifiers ?? ['email'], clock: options.clock });
          const close = once(() => stores.close());
          closers.push(close);
          return { ...stores, jobs: postgresJobs(stores.pool), close };
        },
        async storedJobs() {
          const { rows: jobs } = await query<{ data: { connectionId: string }; next_run_at: Date | null }>(`SELECT data, next_run_at FROM ${JOBS_TABLE}`);
          return jobs.map((job) => ({ connectionId: job.data.connectionId, nextRunAt: job.next_run_at }));
        },
        redeliver: async (slot) =>
          void (await query(`UPDATE ${JOBS_TABLE} SET next_run_at = $1, data = jsonb_set(data, '{slot}', to_jsonb($2::text)), locked_at = NULL`, [slot, slot.toISOString()])),
        async close() {
          await closeAll(closers);
          if (!embedded) await running().admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        },
      };
    },
    async endSessions(database) {
      await running().admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]);
    },
    async refuseConnections(database, refuse) {
      await running().admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS ${!refuse}`);
      if (refuse) await this.endSessions!(database);
    },
    async stop() {
      // Connections first, then the server: a server stopping under open connections ends them with an error.
      await admin?.end();
      await server?.stop();
      admin = undefined;
      server = undefined;
    },
  };
}

/** The backends a test runs on, each with its own server: MongoDB and PostgreSQL. */
export function storeBackends(name = 'cdp-test'): StoreBackend[] {
  return [mongoBackend(name), postgresBackend()];
}
