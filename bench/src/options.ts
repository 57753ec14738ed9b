import { parseArgs } from 'node:util';

export interface BenchOptions {
  profiles: number;
  latencyMs: number;
  /** Latency of the second full export, a realistic one for a 500-member batch subscribe (0: skipped). */
  realisticLatencyMs: number;
  naiveSample: number;
  changedShare: number;
  engineProfiles: number;
  importMembers: number;
  /** Members of the import with both stores on PostgreSQL. */
  postgresImportMembers: number;
  /** Also measure the export's peak RSS at this many profiles (0: skipped). */
  largeProfiles: number;
  cpuProfile: boolean;
  /** Also run the export on the product path with both stores on PostgreSQL. */
  postgres: boolean;
  out: string;
  /** The arguments as given, recorded in the report so a figure can be reproduced. */
  args: string[];
}

/**
 * A realistic latency for one 500-member batch subscribe. Mailchimp publishes none (only a 120 s timeout per
 * request); a call that validates and writes 500 members in a remote data centre takes a second or more, so 1 s
 * is the low end: a longer latency only makes the bound larger and the target easier.
 */
export const REALISTIC_LATENCY_MS = 1000;

/** The report the docs cite; written only when asked (`--docs`), so a trial run never rewrites it. */
export const DOCS_REPORT = 'docs/benchmarks.md';

export const USAGE = `Usage: npm run bench -- [options]
  --profiles N         profiles of the full export (default 100000)
  --latency MS         how long after it arrives the sandbox answers a request (default 50)
  --realistic-latency MS
                       latency of a second full export, a realistic one for a 500-member batch
                       subscribe (default 1000; 0 skips it)
  --naive-sample N     profiles of the naive one-call-per-profile sample (default 2000)
  --changed SHARE      share of profiles changed before the delta run (default 0.01)
  --engine-profiles N  profiles of the zero-latency engine run (default: --profiles)
  --import-members N   members of the import (default 1000; the embedded server slows down with the square of the size)
  --postgres-import-members N
                       members of the import with both stores on PostgreSQL (default 100000)
  --million            also measure peak RSS of the export at 1,000,000 profiles (several minutes)
  --large-profiles N   like --million, with another size
  --no-cpu-profile     skip the profiled engine run
  --no-postgres        skip the export with both stores on PostgreSQL (DATABASE_URL, or the embedded server)
  --out FILE           where the report goes (default bench-results/benchmarks-<date>.md)
  --docs               write the report to docs/benchmarks.md, the figures the docs cite
MONGODB_URI=…          run the import against that server instead of the embedded one`;

function count(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}

function share(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`--${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

export function parseOptions(args: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      profiles: { type: 'string', default: '100000' },
      latency: { type: 'string', default: '50' },
      'realistic-latency': { type: 'string', default: String(REALISTIC_LATENCY_MS) },
      'naive-sample': { type: 'string', default: '2000' },
      changed: { type: 'string', default: '0.01' },
      'engine-profiles': { type: 'string' },
      'import-members': { type: 'string', default: '1000' },
      'postgres-import-members': { type: 'string', default: '100000' },
      million: { type: 'boolean', default: false },
      'large-profiles': { type: 'string' },
      'no-cpu-profile': { type: 'boolean', default: false },
      'no-postgres': { type: 'boolean', default: false },
      out: { type: 'string' },
      docs: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.docs && values.out !== undefined) throw new Error('--docs and --out name two places for one report: give one');
  const profiles = count('profiles', values.profiles, 1);
  const largeProfiles = values['large-profiles'] !== undefined ? count('large-profiles', values['large-profiles'], 1) : values.million ? 1_000_000 : 0;
  return {
    profiles,
    latencyMs: count('latency', values.latency, 0),
    realisticLatencyMs: count('realistic-latency', values['realistic-latency'], 0),
    naiveSample: count('naive-sample', values['naive-sample'], 0),
    changedShare: share('changed', values.changed),
    engineProfiles: values['engine-profiles'] !== undefined ? count('engine-profiles', values['engine-profiles'], 1) : profiles,
    importMembers: count('import-members', values['import-members'], 1),
    postgresImportMembers: count('postgres-import-members', values['postgres-import-members'], 1),
    largeProfiles,
    cpuProfile: !values['no-cpu-profile'],
    postgres: !values['no-postgres'],
    out: values.docs ? DOCS_REPORT : (values.out ?? `bench-results/benchmarks-${new Date().toISOString().replace(/[:.]/g, '-')}.md`),
    args,
  };
}
