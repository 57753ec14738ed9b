import { openPostgresStores, postgresFromEnvironment, type PostgresStores } from '@cdp/store-postgres';
import type { Profile } from '@cdp/sdk';
import { benchRunService, measuredRun, type RunCost } from '../bench-runtime.js';
import { startSandboxProcess } from '../sandbox-process.js';
import { BENCH_API_KEY, exportConnection, MERGE_FIELDS, syntheticProfile } from '../synthetic-data.js';
import { peakRssMb, restartPeakRss, runScenario } from '../worker.js';

// The export on the product path: profiles and state in PostgreSQL (DATABASE_URL, or the embedded server),
// the sandbox in its own process. Run alone with
//   node --expose-gc bench/dist/scenarios/postgres-export.js '{"profiles":100000,"latencyMs":50,"changedShare":0.01}'

export interface PostgresExportParams {
  profiles: number;
  latencyMs: number;
  changedShare: number;
}

type Figures = Omit<RunCost, 'report'> & { created: number; updated: number; unchanged: number };

export interface PostgresExportResult {
  profiles: number;
  server: string;
  loadMs: number;
  full: Figures;
  delta: Figures & { changed: number };
  unchanged: Figures;
  /** The process's peak RSS over the three runs, the loading of profiles left out (undefined where it cannot be). */
  runsPeakRssMb?: number;
  /** The whole process's peak, the benchmark's loading included. */
  peakRssMb: number;
}

const AUDIENCE = 'benchpg';
const LOAD_CHUNK = 5_000;

function figures({ report, ...cost }: RunCost): Figures {
  const audience = report.goals[0].audiences[0];
  return { ...cost, created: audience.created, updated: audience.updated, unchanged: audience.unchanged };
}

async function load(upsert: (profiles: Profile[]) => Promise<void>, count: number, share: number, at: Date, change?: (p: Profile) => void): Promise<number> {
  const step = Math.max(1, Math.round(1 / share));
  let loaded = 0;
  for (let start = 0; start < count; start += LOAD_CHUNK * step) {
    const chunk: Profile[] = [];
    for (let index = start; index < Math.min(count, start + LOAD_CHUNK * step); index += step) {
      const profile = syntheticProfile(index, at);
      change?.(profile);
      chunk.push(profile);
    }
    await upsert(chunk);
    loaded += chunk.length;
  }
  return loaded;
}

/**
 * What autovacuum does within a minute of writes to more than a tenth of a table (its default threshold): fresh
 * planner statistics and visibility map. Runs that follow each other in seconds would otherwise be planned on the
 * statistics of the tables before the load or the first run; scheduled runs are minutes apart. The 1% change
 * before the delta stays below the threshold, so it is not followed by a refresh.
 */
async function refreshStatistics(stores: PostgresStores): Promise<void> {
  await stores.pool.query('VACUUM ANALYZE');
}

async function postgresExport(params: PostgresExportParams): Promise<PostgresExportResult> {
  const server = await postgresFromEnvironment();
  const sandbox = await startSandboxProcess(params.latencyMs);
  try {
    await sandbox.seed({ apiKeys: [BENCH_API_KEY], lists: [{ id: AUDIENCE, name: AUDIENCE, merge_fields: MERGE_FIELDS }] });
    const stores = await openPostgresStores(server.url, { uniqueIdentifiers: ['email'] });
    try {
      const started = performance.now();
      await load((profiles) => stores.profiles.upsertProfiles(profiles), params.profiles, 1, new Date('2026-01-01T00:00:00Z'));
      const loadMs = performance.now() - started;
      await refreshStatistics(stores);
      const overall = { peak: peakRssMb() };
      const runsOnly = restartPeakRss();
      const service = benchRunService(stores.profiles, stores.state, [exportConnection('bench-pg', sandbox.baseUrl, AUDIENCE)]);
      const full = figures(await measuredRun(service, sandbox, 'bench-pg'));
      const fullPeak = peakRssMb();
      await refreshStatistics(stores);
      const changed = await load((profiles) => stores.profiles.upsertProfiles(profiles), params.profiles, params.changedShare, new Date(), (p) => (p.properties.plan = ['enterprise']));
      overall.peak = Math.max(overall.peak, peakRssMb());
      restartPeakRss();
      const delta = { changed, ...figures(await measuredRun(service, sandbox, 'bench-pg')) };
      const unchanged = figures(await measuredRun(service, sandbox, 'bench-pg'));
      const runsPeakRssMb = runsOnly ? Math.max(fullPeak, peakRssMb()) : undefined;
      overall.peak = Math.max(overall.peak, peakRssMb());
      return { profiles: params.profiles, server: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded', loadMs, full, delta, unchanged, runsPeakRssMb, peakRssMb: overall.peak };
    } finally {
      await stores.close();
    }
  } finally {
    await sandbox.stop();
    await server.stop();
  }
}

runScenario(postgresExport);
