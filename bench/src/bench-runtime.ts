import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import { createLogger, type Connection, type ProfileStore, type RunReport, type StateStore } from '@cdp/sdk';
import { API_KEY_ENV, BENCH_API_KEY, benchCatalog } from './synthetic-data.js';
import type { SandboxProcess } from './sandbox-process.js';

/** The run service as a host composes it: the given stores, the Mailchimp connector, the bench's catalog. */
export function benchRunService(profiles: ProfileStore, state: StateStore, connections: Connection[]): RunService {
  const secrets = environmentSecrets({ [API_KEY_ENV]: BENCH_API_KEY }, { allow: [API_KEY_ENV] });
  return createRunService({
    profiles,
    state,
    catalog: benchCatalog(),
    connections: new StaticConnectionSource(connections),
    // The bench's sandbox runs on loopback.
    connectors: [createMailchimpConnector({ allowAnyBaseUrl: true })],
    secrets,
    logger: createLogger({ level: 'warn', secrets: () => secrets.values() }),
  });
}

/** What one measured run cost: wall time, our CPU, the sandbox's CPU and the calls the sandbox saw. */
export interface RunCost {
  report: RunReport;
  wallMs: number;
  cpuSeconds: number;
  sandboxCpuSeconds: number;
  apiCalls: number;
  writeCalls: number;
  callsByRoute: Record<string, number>;
}

/** Runs a connection once and measures it; a run that did not succeed stops the benchmark. */
export async function measuredRun(service: RunService, sandbox: SandboxProcess, connectionId: string): Promise<RunCost> {
  await sandbox.resetCounters();
  const sandboxCpuBefore = sandbox.cpuSeconds();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await service.runNow(connectionId);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const sandboxCpuSeconds = sandbox.cpuSeconds() - sandboxCpuBefore;
  if (report.status !== 'succeeded') throw new Error(`run of ${connectionId} ended ${report.status}: ${report.error ?? JSON.stringify(report.goals)}`);
  const counters = await sandbox.counters();
  return {
    report,
    wallMs,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    sandboxCpuSeconds,
    apiCalls: counters.total,
    writeCalls: counters.writes,
    callsByRoute: counters.byRoute,
  };
}
