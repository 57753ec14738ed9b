import { openPostgresStores, PostgresProfileStore, postgresFromEnvironment } from '@cdp/store-postgres';
import { benchRunService, measuredRun } from '../bench-runtime.js';
import { startSandboxProcess } from '../sandbox-process.js';
import { BENCH_API_KEY, importConnection, MERGE_FIELDS, seedMembers } from '../synthetic-data.js';
import { TimedProfileStore } from '../timed-profile-store.js';
import { runScenario } from '../worker.js';
import type { WriteComparison } from '../write-comparison.js';

// The import on the product path with both stores on PostgreSQL, against the same server's raw bulk insert of
// the rows the store wrote. Run alone with
//   node --expose-gc bench/dist/scenarios/postgres-import.js '{"members":100000,"latencyMs":0}'

export interface PostgresImportParams {
  members: number;
  latencyMs: number;
}

/** `storeWriteMs`: the import's patches written again into an empty store table, after the run, like the raw side. */
export interface PostgresImportResult extends WriteComparison {
  members: number;
  server: string;
  wallMs: number;
  created: number;
  /** The store's writes during the run itself, which shares the machine with the run's reads, the sandbox and the state store. */
  inRunWriteMs: number;
}

const AUDIENCE = 'benchpgimport';
/** The store's own write batch, so both sides write in the same slices. */
const RAW_BATCH = 500;

async function postgresImport(params: PostgresImportParams): Promise<PostgresImportResult> {
  const server = await postgresFromEnvironment();
  const sandbox = await startSandboxProcess(params.latencyMs);
  const stores = await openPostgresStores(server.url, { uniqueIdentifiers: ['email'] });
  try {
    await sandbox.seed({ apiKeys: [BENCH_API_KEY], lists: [{ id: AUDIENCE, name: AUDIENCE, merge_fields: MERGE_FIELDS, members: seedMembers(params.members) }] });
    const profiles = new TimedProfileStore(stores.profiles, true);
    const service = benchRunService(profiles, stores.state, [importConnection(AUDIENCE, sandbox.baseUrl, AUDIENCE)]);
    const cost = await measuredRun(service, sandbox, AUDIENCE);

    // The same rows into an empty twin with the same indexes, 500 per multi-row INSERT, as a raw client would.
    await stores.pool.query('CREATE TABLE profiles_raw_twin (LIKE profiles INCLUDING ALL)');
    const { rows } = await stores.pool.query<{ row: object }>('SELECT to_jsonb(p) AS row FROM profiles p');
    const started = performance.now();
    for (let start = 0; start < rows.length; start += RAW_BATCH) {
      const batch = JSON.stringify(rows.slice(start, start + RAW_BATCH).map(({ row }) => row));
      await stores.pool.query('INSERT INTO profiles_raw_twin SELECT * FROM jsonb_populate_recordset(NULL::profiles_raw_twin, $1::jsonb)', [batch]);
    }
    const rawWriteMs = performance.now() - started;

    // The same patches, batch by batch, into an empty store table: the store's write path alone on the server, as the raw side is.
    const replayTable = new PostgresProfileStore(stores.pool, { uniqueIdentifiers: ['email'], table: 'profiles_replay' });
    await replayTable.init();
    const replay = new TimedProfileStore(replayTable);
    for (const batch of profiles.patches) await replay.applyPatches(batch);
    return {
      members: params.members,
      server: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
      wallMs: cost.wallMs,
      created: cost.report.goals[0].audiences[0].created,
      storeWriteMs: replay.writeMs,
      storeWritten: replay.written,
      inRunWriteMs: profiles.writeMs,
      rawWriteMs,
      rawWritten: rows.length,
    };
  } finally {
    await stores.close();
    await sandbox.stop();
    await server.stop();
  }
}

runScenario(postgresImport);
