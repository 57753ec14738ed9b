import type { AudienceReport, GoalReport, RunReport } from '@cdp/sdk';
import { html } from 'hono/html';
import { formatCount, formatDuration, statusBadge, type Html } from '../html.js';

/** A run's report: its headline, a row per goal and audience, then each audience's failures with their reasons. */
export function reportView(report: RunReport): Html {
  const duration = report.endedAt ? formatDuration(report.endedAt.getTime() - report.startedAt.getTime()) : 'still running';
  return html`<section class="report">
<p class="headline">${report.dryRun ? 'Dry run (nothing written)' : 'Run'} <code>${report.runId}</code> ${statusBadge(report.status)}
 · ${report.trigger} · started ${report.startedAt.toISOString()} · ${duration}
 · ${formatCount(report.apiCalls)} API calls${report.retries > 0 ? ` (${formatCount(report.retries)} retries)` : ''}</p>
${report.error ? html`<p class="error">Run error: ${report.error}</p>` : ''}
<table class="counts">
<thead><tr><th>Goal</th><th>Audience</th><th>Selected</th><th>Created</th><th>Updated</th><th>Unchanged</th><th>Removed</th><th>Skipped</th><th>Failed</th></tr></thead>
<tbody>${report.goals.flatMap(goalRows)}</tbody>
</table>
${report.goals.map(goalNotes)}
<p class="exchange">Data exchange so far: ${formatCount(report.dataExchange.imported)} profiles imported, ${formatCount(report.dataExchange.exported)} exported.</p>
</section>`;
}

function goalRows(goal: GoalReport): Html[] {
  const label = html`${goal.goalId} <small>(${goal.kind})</small> ${goal.status === 'succeeded' ? '' : statusBadge(goal.status)}`;
  if (goal.audiences.length === 0) return [html`<tr><td>${label}</td><td colspan="8">-</td></tr>`];
  return goal.audiences.map(
    (audience, index) => html`<tr>
<td>${index === 0 ? label : ''}</td><td>${audience.audienceId}</td>
<td>${formatCount(audience.selected)}</td><td>${formatCount(audience.created)}</td><td>${formatCount(audience.updated)}</td>
<td>${formatCount(audience.unchanged)}</td><td>${formatCount(audience.removed)}</td><td title="${skipTitle(audience)}">${formatCount(skippedOf(audience))}</td>
<td class="${audience.failed > 0 ? 'failed' : ''}">${formatCount(audience.failed)}</td></tr>`,
  );
}

/** A goal's error, and per audience its failures (record and the external system's reason), warnings and brake. */
function goalNotes(goal: GoalReport): Html {
  const audiences = goal.audiences.filter((audience) => audience.failures.length > 0 || audience.warnings?.length || audience.brake);
  if (!goal.error && audiences.length === 0) return html``;
  return html`<section class="goal-notes">
<h3>${goal.goalId}</h3>
${goal.error ? html`<p class="error">Goal error: ${goal.error}</p>` : ''}
${audiences.map(
  (audience) => html`<h4>Audience ${audience.audienceId}</h4>
${audience.brake ? html`<p class="warning">Removal brake: would remove ${formatCount(audience.brake.wouldRemove)} of ${formatCount(audience.brake.audienceSize)} members (more than ${Math.round(audience.brake.maxShare * 100)} %); nothing removed.</p>` : ''}
${(audience.warnings ?? []).map((warning) => html`<p class="warning">${warning}</p>`)}
${audience.failures.length > 0
  ? html`<table class="failures"><thead><tr><th>Failed record</th><th>Reason</th></tr></thead><tbody>
${audience.failures.map((failure) => html`<tr><td>${failure.record}</td><td class="reason">${failure.reason}</td></tr>`)}
</tbody></table>
${audience.failed > audience.failures.length ? html`<p>…and ${formatCount(audience.failed - audience.failures.length)} more failures.</p>` : ''}`
  : ''}`,
)}
</section>`;
}

export function skippedOf(audience: AudienceReport): number {
  return Object.values(audience.skipped).reduce((total, count) => total + (count ?? 0), 0);
}

function skipTitle(audience: AudienceReport): string {
  return Object.entries(audience.skipped)
    .map(([reason, count]) => `${reason}: ${count}`)
    .join(', ');
}
