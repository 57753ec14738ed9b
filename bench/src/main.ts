import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { measureStartup, STARTUP_COMMANDS } from './cli-startup.js';
import { machineInfo, renderReport } from './markdown.js';
import { parseOptions, USAGE } from './options.js';
import { runScenarioProcess } from './scenario-process.js';
import type { EngineParams, EngineResult } from './scenarios/engine.js';
import type { ExportParams, ExportResult } from './scenarios/export.js';
import type { ImportParams, ImportResult } from './scenarios/import.js';
import type { PostgresExportParams, PostgresExportResult } from './scenarios/postgres-export.js';
import type { PostgresImportParams, PostgresImportResult } from './scenarios/postgres-import.js';

function step(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') return console.log(USAGE);
  const machine = machineInfo();
  const started = performance.now();

  step(`export of ${options.profiles} profiles at ${options.latencyMs} ms, delta, re-run, naive sample of ${options.naiveSample}`);
  const exportRun = await runScenarioProcess<ExportResult>('export', {
    profiles: options.profiles,
    latencyMs: options.latencyMs,
    naiveSample: options.naiveSample,
    changedShare: options.changedShare,
  } satisfies ExportParams);
  let realistic: ExportResult | undefined;
  if (options.realisticLatencyMs > 0) {
    step(`export of ${options.profiles} profiles at ${options.realisticLatencyMs} ms`);
    realistic = await runScenarioProcess<ExportResult>('export', { profiles: options.profiles, latencyMs: options.realisticLatencyMs, naiveSample: 0, changedShare: 0 } satisfies ExportParams);
  }
  step(`engine run of ${options.engineProfiles} profiles at latency 0`);
  const engine = await runScenarioProcess<EngineResult>('engine', { profiles: options.engineProfiles, profile: options.cpuProfile } satisfies EngineParams);
  step(`import of ${options.importMembers} members`);
  const importRun = await runScenarioProcess<ImportResult>('import', { members: options.importMembers, latencyMs: 0 } satisfies ImportParams);
  const postgres: PostgresExportResult[] = [];
  for (const profiles of options.postgres ? [options.profiles, ...(options.largeProfiles > 0 ? [options.largeProfiles] : [])] : []) {
    step(`export of ${profiles} profiles with both stores on PostgreSQL, delta, re-run`);
    const params: PostgresExportParams = { profiles, latencyMs: options.latencyMs, changedShare: options.changedShare };
    postgres.push(await runScenarioProcess<PostgresExportResult>('postgres-export', params));
  }
  let postgresImport: PostgresImportResult | undefined;
  if (options.postgres) {
    step(`import of ${options.postgresImportMembers} members with both stores on PostgreSQL`);
    const params: PostgresImportParams = { members: options.postgresImportMembers, latencyMs: 0 };
    postgresImport = await runScenarioProcess<PostgresImportResult>('postgres-import', params);
  }
  let large: ExportResult | undefined;
  if (options.largeProfiles > 0) {
    step(`peak RSS of the export at ${options.largeProfiles} profiles`);
    large = await runScenarioProcess<ExportResult>('export', { profiles: options.largeProfiles, latencyMs: options.latencyMs, naiveSample: 0, changedShare: 0 } satisfies ExportParams);
  }

  step('start-up of the command line');
  const startup = STARTUP_COMMANDS.map(measureStartup);

  const report = renderReport(
    { options, exportRun, realistic, engine, importRun, large, postgres, postgresImport, startup },
    { ...machine, loadAfter: loadavg(), durationS: (performance.now() - started) / 1000 },
  );
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, report);
  console.log(`bench: report written to ${options.out}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
