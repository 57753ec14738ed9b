import type { PostgresExportResult } from './scenarios/postgres-export.js';
import type { PostgresImportResult } from './scenarios/postgres-import.js';
import { cpus } from 'node:os';
import type { EngineResult } from './scenarios/engine.js';
import type { ExportResult } from './scenarios/export.js';
import type { ImportResult } from './scenarios/import.js';
import type { BenchOptions } from './options.js';
import { writeRates } from './write-comparison.js';

/** Mailchimp's batch-subscribe limit and simultaneous requests per key: the physical bound of an export. */
const BATCH = 500;
const CONNECTIONS = 10;
const BATCH_ROUTE = 'POST /3.0/lists/{list_id}';

export interface Results {
  options: BenchOptions;
  exportRun: ExportResult;
  engine: EngineResult;
  importRun: ImportResult;
  large?: ExportResult;
  /** The export with both stores on PostgreSQL, at --profiles and, with --million, at that size too. */
  postgres: PostgresExportResult[];
  postgresImport?: PostgresImportResult;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** What limits the figure, when the target is missed (or what the figure cannot show). */
  note?: string;
}

const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (ms: number): string => `${fmt(ms / 1000, 2)} s`;

/** The wall time no client can beat: every batch call waits L, ten at a time. */
export function boundMs(profiles: number, latencyMs: number): number {
  return (Math.ceil(profiles / BATCH) / CONNECTIONS) * latencyMs;
}

export function naiveRatio({ options, exportRun }: Results): number | undefined {
  if (!exportRun.naive) return undefined;
  return ((exportRun.naive.wallMs / exportRun.naive.sample) * options.profiles) / exportRun.full.wallMs;
}

export function checkTargets(results: Results): TargetCheck[] {
  const { options, exportRun, engine, importRun } = results;
  const { full } = exportRun;
  const checks: TargetCheck[] = [];

  const callsPer1000 = (full.apiCalls / options.profiles) * 1000;
  checks.push({
    name: 'API calls per 1,000 exported profiles',
    target: '≤ 2.0',
    measured: fmt(callsPer1000, 2),
    met: callsPer1000 <= 2,
    note: callsNote(full.callsByRoute, options.profiles),
  });

  const bound = boundMs(options.profiles, options.latencyMs);
  const efficiency = bound / full.wallMs;
  // On an idle machine the run still cannot beat its own CPU time, nor the sandbox's, nor both on the cores.
  const cpuFloorMs = Math.max(full.cpuSeconds, full.sandboxCpuSeconds, (full.cpuSeconds + full.sandboxCpuSeconds) / cpus().length) * 1000;
  const batchCalls = Math.max(1, full.callsByRoute[BATCH_ROUTE] ?? 0);
  checks.push({
    name: 'Export efficiency (bound / wall time)',
    target: '≥ 0.85',
    measured: `${fmt(efficiency, 2)} (bound ${seconds(bound)}, wall ${seconds(full.wallMs)})`,
    met: efficiency >= 0.85,
    note:
      `CPU, not the API, sets the pace. The export process used ${fmt(full.cpuSeconds, 1)} s of CPU and the sandbox ${fmt(full.sandboxCpuSeconds, 1)} s: ` +
      `${fmt((full.cpuSeconds * 1000) / batchCalls)} ms and ${fmt((full.sandboxCpuSeconds * 1000) / batchCalls)} ms per 500-member call, against a budget of ` +
      `${fmt(options.latencyMs / CONNECTIONS)} ms per call (L / 10 connections). Even alone on this machine the run could not take less than ` +
      `${seconds(cpuFloorMs)} (efficiency ≤ ${fmt(bound / cpuFloorMs, 2)}); the rest of the wall time is waiting for a core, shared with other processes ` +
      '(see the load average). Where the client CPU goes is in the engine profile below.',
  });

  const ratio = naiveRatio(results);
  if (ratio !== undefined && exportRun.naive) {
    checks.push({
      name: 'Speed-up over the naive sync',
      target: '≥ 100×',
      measured: `${fmt(ratio)}× (naive ${fmt(exportRun.naive.wallMs / exportRun.naive.sample, 1)} ms per profile → ${seconds((exportRun.naive.wallMs / exportRun.naive.sample) * options.profiles)} for ${fmt(options.profiles)})`,
      met: ratio >= 100,
      note: 'The naive script pays one round trip (L plus processing) per profile; the export pays one per 500, ten at a time. The ratio falls with the export\'s own CPU cost (see efficiency).',
    });
  }

  if (exportRun.delta && exportRun.unchanged) {
    const share = exportRun.delta.apiCalls / full.apiCalls;
    checks.push({
      name: `Delta export after ${fmt(options.changedShare * 100, 1)}% changed: calls vs the full run`,
      target: '≤ 3%',
      measured: `${fmt(share * 100, 2)}% (${exportRun.delta.apiCalls} of ${full.apiCalls} calls; ${exportRun.delta.audience.updated} members updated)`,
      met: share <= 0.03,
      note: 'Updating existing members takes two calls per batch: a create-only call (Mailchimp answers "contact exists") and a status-free update, so no status is ever overwritten.',
    });
    checks.push({
      name: 'Re-run with nothing changed: write calls',
      target: '0',
      measured: `${exportRun.unchanged.writeCalls} (of ${exportRun.unchanged.apiCalls} calls)`,
      met: exportRun.unchanged.writeCalls === 0,
    });
  }

  const perCore = engine.created / engine.cpuSeconds;
  checks.push({
    name: 'Engine: profiles per second per core (latency 0)',
    target: '≥ 150,000',
    measured: `${fmt(perCore)} (${fmt(engine.created)} profiles, ${fmt(engine.cpuSeconds, 2)} s CPU, ${seconds(engine.wallMs)} wall)`,
    met: perCore >= 150_000,
    note: engineNote(engine, perCore),
  });

  const mongoWrites = writeRates(importRun);
  checks.push({
    name: 'Import: store writes vs raw driver bulkWrite',
    target: '≥ 0.7×',
    measured: `${fmt(mongoWrites.ratio, 2)}× (store ${fmt(mongoWrites.store)} profiles/s, raw bulkWrite ${fmt(mongoWrites.raw)} docs/s)`,
    met: mongoWrites.ratio >= 0.7,
    note:
      (importRun.server === 'embedded' ? 'Functional figure only: the in-memory MongoDB-compatible server, whose writes cost about the square of the collection size. ' : '') +
      'The store reads each batch once, then sends one unordered bulkWrite of compare-and-set upserts, one per profile, so that concurrent writers never lose an update; the raw side sends 500 inserts per bulkWrite round trip.',
  });

  if (results.postgresImport) {
    const run = results.postgresImport;
    const postgresWrites = writeRates(run);
    checks.push({
      name: `Import of ${fmt(run.members)} members on PostgreSQL: store writes vs raw multi-row INSERT`,
      target: '≥ 0.7×',
      measured: `${fmt(postgresWrites.ratio, 2)}× (store ${fmt(postgresWrites.store)} profiles/s, raw ${fmt(postgresWrites.raw)} rows/s)`,
      met: postgresWrites.ratio >= 0.7,
      note:
        'Per batch of 500 the store runs one transaction: it reads and locks the batch\'s profiles (SELECT … FOR UPDATE), plans every patch ' +
        'against them and writes them in one multi-row upsert, so concurrent writers never lose an update; the raw side only inserts the ' +
        'finished rows into an empty twin table.',
    });
  }

  const [postgres] = results.postgres;
  if (postgres) {
    const share = postgres.delta.wallMs / postgres.full.wallMs;
    checks.push({
      name: `Delta on PostgreSQL after ${fmt(options.changedShare * 100, 1)}% changed: time vs the full run`,
      target: '≤ 5%',
      measured: `${fmt(share * 100, 1)}% (${seconds(postgres.delta.wallMs)} against ${seconds(postgres.full.wallMs)}; nothing changed: ${seconds(postgres.unchanged.wallMs)})`,
      met: share <= 0.05,
      note:
        "A delta reads the last-sent records of the profiles changed or deleted since the last run (PostgreSQL's change feed and deletion " +
        'trigger) and those waiting for a retry, not every record; what remains is the run\'s fixed cost (the lock, two API calls) and the ' +
        'changed members themselves, so the share moves with the machine\'s load near the target.',
    });
  }

  checks.push(rssCheck(options.profiles, exportRun));
  if (results.large) checks.push(rssCheck(options.largeProfiles, results.large));
  const largestPostgres = results.postgres.at(-1);
  if (largestPostgres && largestPostgres.profiles >= 1_000_000) checks.push(postgresRssCheck(largestPostgres));
  return checks;
}

function engineNote(engine: EngineResult, perCore: number): string {
  const whole =
    'The figure is the whole export process: stream copies, filters, mapping, hashing, the state store, and the official client ' +
    "serialising requests and parsing Mailchimp's answers (500 full member records per call).";
  if (engine.clientShare === undefined || engine.gcShare === undefined) return `${whole} Run with the CPU profile to see where the time goes.`;
  return (
    `${whole} In the profiled run the official client and its HTTP library took ${fmt(engine.clientShare * 100, 1)}% of the CPU (self time; ` +
    `the HTTP transport in Node itself comes on top) and garbage collection ${fmt(engine.gcShare * 100, 1)}%, part of it the client's parsed answers. ` +
    `Even if everything else cost nothing, the client alone would allow about ${fmt(perCore / Math.max(engine.clientShare, 1e-9))} profiles per second per core. ` +
    'The hottest functions are listed below.'
  );
}

/** Batch calls against the calls every run makes whatever its size (the merge-field check). */
function callsNote(byRoute: Record<string, number>, profiles: number): string {
  const batchCalls = byRoute[BATCH_ROUTE] ?? 0;
  const fixed = Object.entries(byRoute).filter(([route]) => route !== BATCH_ROUTE);
  return (
    `${batchCalls} batch calls are ${fmt((batchCalls / profiles) * 1000, 2)} per 1,000 profiles, the minimum at 500 members per call; ` +
    `the rest are the run's fixed calls (${fixed.map(([route, calls]) => `${route} ×${calls}`).join(', ')}), which weigh less as N grows.`
  );
}

/** The target is on the product path, with the stores outside the process (below); in-process stores hold everything. */
function rssCheck(profiles: number, run: ExportResult): TargetCheck {
  return {
    name: `Peak RSS of the export at ${fmt(profiles)} profiles, stores in the process`,
    target: '(none: the target is with real stores)',
    measured: `${fmt(run.peakRssMb)} MB (${fmt(run.rssAfterLoadMb)} MB with the profiles loaded, before the run; the run left ${fmt(run.retainedHeapMb)} MB of state behind)`,
    met: true,
    note:
      `The benchmark reads profiles from the SDK's in-memory store and keeps state in the in-memory state store, so this process holds ` +
      `every profile (${fmt(run.rssAfterLoadMb)} MB of RSS before the run) and, after it, one last-sent record (payload included) and one exchanged id ` +
      `per member (${fmt(run.retainedHeapMb)} MB of heap). The remaining ${fmt(Math.max(0, run.peakRssMb - run.rssAfterLoadMb - run.retainedHeapMb))} MB ` +
      'are batches in flight and garbage-collector headroom. The run streams in batches; what grows with N is data that a MongoDB deployment keeps in the database.',
  };
}

/** The issue's memory target: the export at 1M profiles on the real path, stores in PostgreSQL. */
function postgresRssCheck(run: PostgresExportResult): TargetCheck {
  const peak = run.runsPeakRssMb ?? run.peakRssMb;
  return {
    name: `Peak RSS of the export at ${fmt(run.profiles)} profiles, both stores on PostgreSQL`,
    target: '≤ 250 MB',
    measured:
      run.runsPeakRssMb === undefined
        ? `${fmt(peak)} MB (the whole process, the benchmark's loading of profiles included)`
        : `${fmt(peak)} MB over the full, delta and unchanged runs (${fmt(run.peakRssMb)} MB for the whole process, the benchmark's loading of profiles included)`,
    met: peak <= 250,
    note:
      'The runs stream profiles from a cursor and records in batches; what stays is the process itself (the drivers, the official client), ' +
      'the batches in flight (10 calls of 500 members, each answer about 0.5 MB of JSON) and the garbage collector\'s headroom.',
  };
}
