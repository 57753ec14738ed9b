import { InMemoryStateStore, type AudienceReport, type Profile } from '@cdp/sdk';
import { benchRunService, measuredRun, type RunCost } from '../bench-runtime.js';
import { naiveSync } from '../naive-sync.js';
import { loadedProfileStore } from '../profile-loading.js';
import { startSandboxProcess } from '../sandbox-process.js';
import { BENCH_API_KEY, exportConnection, MERGE_FIELDS, syntheticProfile } from '../synthetic-data.js';
import { peakRssMb, runScenario } from '../worker.js';

export interface ExportParams {
  profiles: number;
  latencyMs: number;
  /** Profiles of the naive sync's sample; 0 skips it. */
  naiveSample: number;
  /** Share of profiles changed before the delta run; the delta and no-change runs are skipped when 0. */
  changedShare: number;
}

/** The figures of one run, without the bulky report. */
export type RunFigures = Omit<RunCost, 'report'> & { audience: AudienceReport };

export interface ExportResult {
  rssAfterLoadMb: number;
  peakRssMb: number;
  /** Heap the full run left behind (the state store's last-sent records), measured after a forced GC. */
  retainedHeapMb: number;
  full: RunFigures;
  delta?: RunFigures & { changed: number };
  unchanged?: RunFigures;
  naive?: { sample: number; wallMs: number };
}

const AUDIENCE = 'benchfull';
const NAIVE_AUDIENCE = 'benchnaive';
const LOADED_AT = new Date('2026-01-01T00:00:00Z');

/** Heap in use after a full collection (the process runs with --expose-gc). */
function settledHeapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function figures(cost: RunCost): RunFigures {
  const { report, ...rest } = cost;
  return { ...rest, audience: report.goals[0].audiences[0] };
}

/** Changes one property of every (1/share)-th profile, now, so the next delta run picks them up. */
async function changeProfiles(store: Awaited<ReturnType<typeof loadedProfileStore>>, count: number, share: number): Promise<number> {
  const step = Math.max(1, Math.round(1 / share));
  const changed: Profile[] = [];
  const now = new Date();
  for (let index = 0; index < count; index += step) {
    const profile = syntheticProfile(index, now);
    profile.properties.plan = ['enterprise'];
    changed.push(profile);
  }
  await store.upsertProfiles(changed);
  return changed.length;
}

async function exportScenario(params: ExportParams): Promise<ExportResult> {
  const sandbox = await startSandboxProcess(params.latencyMs);
  try {
    await sandbox.seed({
      apiKeys: [BENCH_API_KEY],
      lists: [AUDIENCE, NAIVE_AUDIENCE].map((id) => ({ id, name: id, merge_fields: MERGE_FIELDS })),
    });
    const profiles = await loadedProfileStore(params.profiles, LOADED_AT);
    const rssAfterLoadMb = process.memoryUsage().rss / 2 ** 20;
    const service = benchRunService(profiles, new InMemoryStateStore(), [exportConnection('bench-export', sandbox.baseUrl, AUDIENCE)]);

    const heapBefore = settledHeapMb();
    const full = figures(await measuredRun(service, sandbox, 'bench-export'));
    const result: ExportResult = { rssAfterLoadMb, peakRssMb: peakRssMb(), retainedHeapMb: settledHeapMb() - heapBefore, full };

    if (params.changedShare > 0) {
      const changed = await changeProfiles(profiles, params.profiles, params.changedShare);
      result.delta = { changed, ...figures(await measuredRun(service, sandbox, 'bench-export')) };
      result.unchanged = figures(await measuredRun(service, sandbox, 'bench-export'));
    }
    if (params.naiveSample > 0) {
      const sample: Profile[] = [];
      for (let index = 0; index < params.naiveSample; index++) sample.push(syntheticProfile(index, LOADED_AT));
      const started = performance.now();
      await naiveSync(sandbox.baseUrl, NAIVE_AUDIENCE, sample);
      result.naive = { sample: sample.length, wallMs: performance.now() - started };
    }
    return result;
  } finally {
    await sandbox.stop();
  }
}

runScenario(exportScenario);
