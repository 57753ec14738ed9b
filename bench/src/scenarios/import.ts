import { mongoFromEnvironment, openMongoStores } from '@cdp/store-mongodb';
import type { Collection, Document } from 'mongodb';
import { benchRunService, measuredRun } from '../bench-runtime.js';
import { startSandboxProcess } from '../sandbox-process.js';
import { BENCH_API_KEY, importConnection, MERGE_FIELDS, seedMembers } from '../synthetic-data.js';
import { TimedProfileStore } from '../timed-profile-store.js';
import { runScenario } from '../worker.js';
import type { WriteComparison } from '../write-comparison.js';

export interface ImportParams {
  members: number;
  latencyMs: number;
}

export interface ImportResult extends WriteComparison {
  server: 'embedded' | 'MONGODB_URI';
  serverVersion: string;
  wallMs: number;
  created: number;
  sandboxCpuSeconds: number;
}

const AUDIENCE = 'benchimport';
/** The store's own write batch, so both sides write in the same slices. */
const RAW_BATCH = 500;

/** The documents the store wrote, inserted again with a raw driver bulkWrite into an empty twin collection. */
async function rawBulkWriteMs(source: Collection<Document>, twin: Collection<Document>): Promise<{ ms: number; written: number }> {
  for (const index of await source.listIndexes().toArray()) {
    if (index.name !== '_id_') await twin.createIndex(index.key, { name: index.name });
  }
  const documents = await source.find().toArray();
  const started = performance.now();
  for (let start = 0; start < documents.length; start += RAW_BATCH) {
    await twin.bulkWrite(documents.slice(start, start + RAW_BATCH).map((document) => ({ insertOne: { document } })), { ordered: true });
  }
  return { ms: performance.now() - started, written: documents.length };
}

/** Import of N members with four mappings into the MongoDB profile store, against raw bulkWrite. */
async function importScenario(params: ImportParams): Promise<ImportResult> {
  const database = `bench_import_${Date.now()}`;
  const mongo = await mongoFromEnvironment(database);
  const sandbox = await startSandboxProcess(params.latencyMs);
  const stores = await openMongoStores(mongo.uri, { database, uniqueIdentifiers: ['email'] });
  try {
    await sandbox.seed({ apiKeys: [BENCH_API_KEY], lists: [{ id: AUDIENCE, name: AUDIENCE, merge_fields: MERGE_FIELDS, members: seedMembers(params.members) }] });
    const profiles = new TimedProfileStore(stores.profiles);
    const service = benchRunService(profiles, stores.state, [importConnection(AUDIENCE, sandbox.baseUrl, AUDIENCE)]);
    const cost = await measuredRun(service, sandbox, AUDIENCE);
    const raw = await rawBulkWriteMs(stores.db.collection('profiles'), stores.db.collection('profiles_raw_twin'));
    const build = await stores.db.admin().command({ buildInfo: 1 });
    return {
      server: process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded',
      serverVersion: String(build.version),
      wallMs: cost.wallMs,
      created: cost.report.goals[0].audiences[0].created,
      storeWriteMs: profiles.writeMs,
      storeWritten: profiles.written,
      rawWriteMs: raw.ms,
      rawWritten: raw.written,
      sandboxCpuSeconds: cost.sandboxCpuSeconds,
    };
  } finally {
    // A real server keeps nothing of the benchmark; the embedded one goes away with its process.
    if (process.env.MONGODB_URI) await stores.db.dropDatabase().catch(() => undefined);
    await stores.close();
    await sandbox.stop();
    await mongo.stop();
  }
}

runScenario(importScenario);
