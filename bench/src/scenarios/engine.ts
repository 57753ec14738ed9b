import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { InMemoryStateStore } from '@cdp/sdk';
import { benchRunService, measuredRun } from '../bench-runtime.js';
import { hottestFunctions, selfShare, type HotFunction, type CpuProfile } from '../cpu-profile.js';
import { loadedProfileStore } from '../profile-loading.js';
import { startSandboxProcess } from '../sandbox-process.js';
import { BENCH_API_KEY, exportConnection, MERGE_FIELDS } from '../synthetic-data.js';
import { runScenario } from '../worker.js';

export interface EngineParams {
  profiles: number;
  /** Also run the export once more under the CPU profiler and list the hottest functions. */
  profile: boolean;
}

export interface EngineResult {
  wallMs: number;
  cpuSeconds: number;
  /** CPU of a second export of the same size in the same process, as a scheduler worker's later runs. */
  laterCpuSeconds: number;
  sandboxCpuSeconds: number;
  apiCalls: number;
  created: number;
  hotFunctions?: HotFunction[];
  /** Share of the profiled run's CPU in the official client and its HTTP library (self time). */
  clientShare?: number;
  /** Share of the profiled run's CPU in garbage collection. */
  gcShare?: number;
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HOT_FUNCTIONS_LISTED = 15;
/** The official client's code and the HTTP library it sends with: fixed costs the export cannot change. */
const CLIENT_PATHS = ['/node_modules/@mailchimp/mailchimp_marketing/', '/node_modules/superagent/'];

/** The full export with no latency: what the process itself costs per profile. */
async function engineScenario(params: EngineParams): Promise<EngineResult> {
  const sandbox = await startSandboxProcess(0);
  try {
    const audiences = ['benchengine', 'benchlater', 'benchprofiled'];
    await sandbox.seed({ apiKeys: [BENCH_API_KEY], lists: audiences.map((id) => ({ id, name: id, merge_fields: MERGE_FIELDS })) });
    const profiles = await loadedProfileStore(params.profiles, new Date('2026-01-01T00:00:00Z'));
    const connections = audiences.map((audience) => exportConnection(audience, sandbox.baseUrl, audience));
    const service = benchRunService(profiles, new InMemoryStateStore(), connections);

    const cost = await measuredRun(service, sandbox, 'benchengine');
    const later = await measuredRun(service, sandbox, 'benchlater');
    const result: EngineResult = {
      wallMs: cost.wallMs,
      cpuSeconds: cost.cpuSeconds,
      laterCpuSeconds: later.cpuSeconds,
      sandboxCpuSeconds: cost.sandboxCpuSeconds,
      apiCalls: cost.apiCalls,
      created: cost.report.goals[0].audiences[0].created,
    };
    if (params.profile) {
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      await measuredRun(service, sandbox, 'benchprofiled');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      result.hotFunctions = hottestFunctions(profile as CpuProfile, ROOT, HOT_FUNCTIONS_LISTED);
      result.clientShare = selfShare(profile as CpuProfile, ({ url }) => CLIENT_PATHS.some((path) => url.includes(path)));
      result.gcShare = selfShare(profile as CpuProfile, ({ functionName }) => functionName === '(garbage collector)');
    }
    return result;
  } finally {
    await sandbox.stop();
  }
}

runScenario(engineScenario);
