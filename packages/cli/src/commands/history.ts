import type { RunReport } from '@cdp/sdk';
import type { Handler } from '../command-kit.js';
import { findConnection, readConnectionPaths } from '../connection-files.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { openStores } from '../stores.js';
import { parseSince } from '../since.js';
import { formatCount, formatDuration, renderTable } from '../table.js';

interface HistoryFlags {
  since: string;
  limit: string;
  json?: boolean;
}

/** `cdp history <connection-id>`: the connection's runs, newest first, with their errors. */
export const history: Handler<HistoryFlags, [string]> = async ({ ctx, globals, options }, connectionId) => {
  const since = parseSince(options.since, new Date());
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive whole number, got "${options.limit}"`, ExitCode.badInput);
  findConnection(await readConnectionPaths(globals.connections), connectionId);
  const stores = await openStores(ctx.env, []);
  try {
    const runs = await stores.state.listRuns({ connectionId, since, limit });
    if (options.json) ctx.output.json(runs);
    else ctx.output.line(renderHistory(connectionId, runs, options.since));
  } finally {
    await stores.close();
  }
  return ExitCode.ok;
};

function renderHistory(connectionId: string, runs: RunReport[], since: string): string {
  if (runs.length === 0) return `No runs of ${connectionId} in the last ${since}.`;
  const rows = runs.map((run) => {
    const audiences = run.goals.flatMap((goal) => goal.audiences);
    const sum = (pick: (a: (typeof audiences)[number]) => number): string => formatCount(audiences.reduce((total, a) => total + pick(a), 0));
    return [
      run.startedAt.toISOString(),
      run.runId,
      run.trigger + (run.dryRun ? ' (dry run)' : ''),
      run.status,
      run.endedAt ? formatDuration(run.endedAt.getTime() - run.startedAt.getTime()) : '-',
      sum((a) => a.created),
      sum((a) => a.updated),
      sum((a) => a.removed),
      sum((a) => a.failed),
    ];
  });
  const table = renderTable(
    [
      { header: 'Started' },
      { header: 'Run' },
      { header: 'Trigger' },
      { header: 'Status' },
      { header: 'Duration', align: 'right' },
      { header: 'Created', align: 'right' },
      { header: 'Updated', align: 'right' },
      { header: 'Removed', align: 'right' },
      { header: 'Failed', align: 'right' },
    ],
    rows,
  );
  const errors = runs.flatMap((run) => [
    ...(run.error ? [`${run.runId}: ${run.error}`] : []),
    ...run.goals.filter((goal) => goal.error).map((goal) => `${run.runId} ${goal.goalId}: ${goal.error}`),
  ]);
  // A refusal lists its config problems on lines of their own: they stay indented under their run.
  const listed = errors.map((error) => `  ${error.replaceAll('\n', '\n  ')}`);
  return errors.length > 0 ? `${table}\n\nErrors:\n${listed.join('\n')}` : table;
}
