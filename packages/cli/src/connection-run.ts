import type { RunReport } from '@cdp/sdk';
import { readCatalogFile } from './catalog-file.js';
import type { Handler, Invocation } from './command-kit.js';
import { readConnectionFile, requireGoals } from './connection-files.js';
import { validateConnectionFile } from './connectors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { checkCredentials, connectionSource, withHost } from './host.js';
import type { Output } from './output.js';
import { ProgressDisplay } from './progress.js';
import { renderRunReport } from './report-table.js';
import { listenForInterruption, SIGNAL_EXIT_CODES, type Interruption } from './signals.js';

export interface RunFlags {
  goal?: string[];
  full?: boolean;
  force?: boolean;
  json?: boolean;
  allowFailures?: boolean;
}

/** `cdp run <connection.json>`: Run now, with progress, then the run report. */
export const runConnection: Handler<RunFlags, [string]> = (invocation, path) => runConnectionFile(invocation, path, false);

/** `cdp test <connection.json>`: the dry run; counts what a run would do and writes nothing. */
export const testConnectionFile: Handler<Omit<RunFlags, 'force'>, [string]> = (invocation, path) => runConnectionFile(invocation, path, true);

/**
 * Runs (or dry-runs) a connection file: the config is checked before anything is opened, then MongoDB and the
 * credentials, and only then does the run start. Prints the report as a table or as JSON. Ctrl-C or SIGTERM
 * during a run stops it after the batch in flight: the report so far is printed, and the exit code is the
 * signal's.
 */
export async function runConnectionFile({ ctx, globals, options }: Invocation<RunFlags>, path: string, dryRun: boolean): Promise<ExitCodeValue> {
  const catalog = await readCatalogFile(globals.catalog);
  const file = await readConnectionFile(path);
  const connection = await validateConnectionFile(file, catalog.catalog);
  requireGoals(connection, options.goal);
  return withHost(ctx, { catalog, connections: connectionSource([file]) }, async (host) => {
    await checkCredentials(ctx, connection);
    const progress = new ProgressDisplay(ctx.output);
    const request = { goalIds: options.goal, full: options.full, force: options.force, onProgress: progress.update };
    // A dry run writes nothing and holds no lock: a signal may end it at once, as by default.
    const interruption = dryRun ? undefined : listenForInterruption(ctx.output);
    let report: RunReport;
    try {
      report = dryRun ? await host.service.test(file.id, request) : await host.service.runNow(file.id, { ...request, signal: interruption?.signal });
    } finally {
      interruption?.dispose();
      progress.finish();
    }
    printReport(ctx.output, report, options.json ?? false);
    return interruptedExitCode(ctx.output, report, interruption) ?? reportExitCode(report, options.allowFailures ?? false);
  });
}

/** The exit code of a run a signal stopped, after a line that says so; a run that finished anyway keeps its own. */
function interruptedExitCode(output: Output, report: RunReport, interruption: Interruption | undefined): ExitCodeValue | undefined {
  const signal = interruption?.received;
  if (!signal || report.status !== 'interrupted') return undefined;
  output.message(`Run ${report.runId} interrupted by ${signal}: saved as interrupted, lock released; the next run continues where it stopped.`);
  return SIGNAL_EXIT_CODES[signal];
}

export function printReport(output: Output, report: RunReport, json: boolean): void {
  if (json) output.json(report);
  else output.line(renderRunReport(report));
}

/** 0 only for a run that succeeded with no failed record, unless failed records are allowed. */
export function reportExitCode(report: RunReport, allowFailures: boolean): ExitCodeValue {
  if (report.status !== 'succeeded') return ExitCode.runFailed;
  const failed = report.goals.some((goal) => goal.audiences.some((audience) => audience.failed > 0));
  return failed && !allowFailures ? ExitCode.recordsFailed : ExitCode.ok;
}
