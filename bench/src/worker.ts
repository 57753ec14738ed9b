import { readFileSync, writeFileSync } from 'node:fs';

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

/** Peak resident set size of this process, in MB: since the last `restartPeakRss` where Linux allows it, else since the start. */
export function peakRssMb(): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  } catch {
    return process.resourceUsage().maxRSS / 1024;
  }
}

/**
 * Starts the peak RSS over from the RSS of now, after a collection (Linux: "5" to /proc/self/clear_refs resets
 * VmHWM), so that a benchmark's own setup, such as loading profiles, does not count as the product's peak.
 * Returns false where that is not possible; `peakRssMb` then keeps the whole process's peak.
 */
export function restartPeakRss(): boolean {
  (globalThis as { gc?: () => void }).gc?.();
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
