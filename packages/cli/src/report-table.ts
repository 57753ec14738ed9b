import type { AudienceReport, GoalReport, RunReport } from '@cdp/sdk';
import { formatCount, formatDuration, renderTable, type Column } from './table.js';

const COLUMNS: Column[] = [
  { header: 'Goal' },
  { header: 'Audience' },
  { header: 'Selected', align: 'right' },
  { header: 'Created', align: 'right' },
  { header: 'Updated', align: 'right' },
  { header: 'Unchanged', align: 'right' },
  { header: 'Removed', align: 'right' },
  { header: 'Skipped', align: 'right' },
  { header: 'Failed', align: 'right' },
  { header: 'Truncated', align: 'right' },
  { header: 'API calls', align: 'right' },
  { header: 'Duration', align: 'right' },
];

/** Failures listed per audience under the table; the counters hold the full numbers. */
const LISTED_FAILURES = 5;

/** The run report as people read it: a headline, one row per goal and audience, then notes and data exchange. */
export function renderRunReport(report: RunReport): string {
  const lines = [headline(report), ''];
  if (report.goals.length > 0) lines.push(renderTable(COLUMNS, report.goals.flatMap(goalRows)), '');
  const notes = [...(report.error ? [`Run error: ${report.error}`] : []), ...report.goals.flatMap(goalNotes)];
  if (notes.length > 0) lines.push(...notes, '');
  lines.push(
    `API calls: ${formatCount(report.apiCalls)} in all${report.retries > 0 ? `, ${formatCount(report.retries)} of them retries` : ''}.`,
    `Data exchange: ${formatCount(report.dataExchange.imported)} unique profiles imported, ` +
      `${formatCount(report.dataExchange.exported)} exported through this connection so far.`,
  );
  return lines.join('\n');
}

function headline(report: RunReport): string {
  const kind = report.dryRun ? 'Dry run (nothing written)' : 'Run';
  const duration = report.endedAt ? ` in ${formatDuration(report.endedAt.getTime() - report.startedAt.getTime())}` : '';
  return `${kind} ${report.runId} of ${report.connectionId}: ${report.status}${duration} (${report.trigger}, started ${report.startedAt.toISOString()})`;
}

function goalRows(goal: GoalReport): string[][] {
  const label = `${goal.goalId} (${goal.kind}${goal.status === 'succeeded' ? '' : `, ${goal.status}`})`;
  const audiences = goal.audiences.length > 0 ? goal.audiences : [undefined];
  return audiences.map((audience, index) => [
    index === 0 ? label : '',
    audience?.audienceId ?? '-',
    ...(audience ? audienceCounts(audience) : ['', '', '', '', '', '', '', '']),
    index === 0 ? formatCount(goal.apiCalls) + (goal.retries > 0 ? ` (+${goal.retries} retries)` : '') : '',
    index === 0 ? formatDuration(goal.durationMs) : '',
  ]);
}

function audienceCounts(audience: AudienceReport): string[] {
  return [
    audience.selected,
    audience.created,
    audience.updated,
    audience.unchanged,
    audience.removed,
    skippedTotal(audience),
    audience.failed,
    audience.truncated,
  ].map(formatCount);
}

/** Restores, withdrawals, tag removals and erasures, which only some runs have: "restored 2, withdrawn 1". */
function memberChanges(audience: AudienceReport): string {
  const changes: [string, number][] = [
    ['restored', audience.restored],
    ['consent withdrawn', audience.withdrawn],
    ['untagged', audience.untagged],
    ['erased', audience.erased ?? 0],
  ];
  return changes.filter(([, count]) => count > 0).map(([what, count]) => `${what} ${formatCount(count)}`).join(', ');
}

function skippedTotal(audience: AudienceReport): number {
  return Object.values(audience.skipped).reduce((sum, count) => sum + (count ?? 0), 0);
}

/** Everything that does not fit a counter: errors, skip reasons, brake verdicts, warnings, merge fields, failures. */
function goalNotes(goal: GoalReport): string[] {
  const notes: string[] = [];
  if (goal.error) notes.push(`${goal.goalId}: ${goal.error}`);
  for (const audience of goal.audiences) {
    const where = `${goal.goalId} / ${audience.audienceId}`;
    // By name: the order reasons were first met in depends on how batches interleave.
    const reasons = Object.entries(audience.skipped)
      .filter(([, count]) => (count ?? 0) > 0)
      .sort(([a], [b]) => a.localeCompare(b));
    if (reasons.length > 0) notes.push(`${where}: skipped ${reasons.map(([reason, count]) => `${reason} ${formatCount(count ?? 0)}`).join(', ')}`);
    const carried = memberChanges(audience);
    if (carried) notes.push(`${where}: ${carried}`);
    if (audience.brake) {
      const { wouldRemove, audienceSize, maxShare } = audience.brake;
      notes.push(
        `${where}: removal brake: would remove ${formatCount(wouldRemove)} of the ${formatCount(audienceSize)} removable members ` +
          `(limit ${Math.round(maxShare * 100)}%); nothing removed, --force overrides`,
      );
    }
    for (const warning of audience.warnings ?? []) notes.push(`${where}: warning: ${warning}`);
    if (audience.missingFields?.length) notes.push(`${where}: missing merge fields ${audience.missingFields.join(', ')}`);
    if (audience.createdFields?.length) notes.push(`${where}: created merge fields ${audience.createdFields.join(', ')}`);
    const listed = audience.failures.slice(0, LISTED_FAILURES);
    for (const failure of listed) notes.push(`${where}: ${failure.record}: ${failure.reason}`);
    if (audience.failed > listed.length) notes.push(`${where}: … and ${formatCount(audience.failed - listed.length)} more failures`);
  }
  return notes;
}
