/** Marks the one stdout line a scenario process answers with. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/**
 * Entry point of a scenario process: reads its parameters (JSON, first argument), runs, and prints the result
 * as one marked JSON line. Every scenario runs in a fresh process so that its peak RSS and CPU are its own.
 */
export function runScenario<P, R>(scenario: (params: P) => Promise<R>): void {
  const params = JSON.parse(process.argv[2] ?? '{}') as P;
  scenario(params).then(
    (result) => {
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
