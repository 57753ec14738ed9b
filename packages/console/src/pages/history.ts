import type { RunReport } from '@cdp/sdk';
import { html, raw } from 'hono/html';
import { formatCount, formatDuration, page, statusBadge, type Html } from '../html.js';

/** The counts the chart and the table show per run, summed over the run's goals and audiences. */
export interface RunTotals {
  runId: string;
  startedAt: string;
  status: string;
  created: number;
  updated: number;
  removed: number;
  failed: number;
}

export function runTotals(run: RunReport): RunTotals {
  const audiences = run.goals.flatMap((goal) => goal.audiences);
  const sum = (pick: (audience: (typeof audiences)[number]) => number): number => audiences.reduce((total, audience) => total + pick(audience), 0);
  return {
    runId: run.runId,
    startedAt: run.startedAt.toISOString(),
    status: run.status,
    created: sum((a) => a.created),
    updated: sum((a) => a.updated),
    removed: sum((a) => a.removed),
    failed: sum((a) => a.failed),
  };
}

/**
 * JSON inside a <script type="application/json"> element: `<` is escaped so that no value can close the element,
 * and the page's script reads it (no inline script runs).
 */
function jsonData(id: string, value: unknown): Html {
  return html`<script type="application/json" id="${id}">${raw(JSON.stringify(value).replaceAll('<', '\\u003c'))}</script>`;
}

/** Runs of a connection over a period: a chart of created/updated/removed/failed per run, then the runs, newest first. */
export function historyPage(connectionId: string, runs: RunReport[], since: string, csrf: string): Html {
  const totals = runs.map(runTotals);
  const body =
    runs.length === 0
      ? html`<p>No runs of ${connectionId} in the last ${since}.</p>`
      : html`<figure class="chart"><canvas id="history-chart" aria-label="Created, updated, removed and failed per run"></canvas></figure>
${jsonData('history-data', [...totals].reverse())}
<table class="runs">
<thead><tr><th>Started</th><th>Run</th><th>Trigger</th><th>Status</th><th>Duration</th><th>Created</th><th>Updated</th><th>Removed</th><th>Failed</th><th>Error</th></tr></thead>
<tbody>${runs.map((run, index) => runRow(connectionId, run, totals[index]))}</tbody>
</table>`;
  return page(
    { title: `History of ${connectionId}`, csrf, connectionId },
    html`<form method="get" class="period">
<label>Period <select name="since">${['24h', '7d', '30d', '90d'].map((period) => html`<option${period === since ? raw(' selected') : ''}>${period}</option>`)}</select></label>
<button type="submit">Show</button></form>
${body}`,
  );
}

function runRow(connectionId: string, run: RunReport, totals: RunTotals): Html {
  const goalErrors = run.goals.filter((goal) => goal.error).map((goal) => `${goal.goalId}: ${goal.error}`);
  const error = [run.error, ...goalErrors].filter(Boolean).join('; ');
  return html`<tr>
<td>${totals.startedAt}</td>
<td><a href="/connections/${connectionId}/runs/${run.runId}">${run.runId}</a></td>
<td>${run.trigger}${run.dryRun ? ' (dry run)' : ''}</td>
<td>${statusBadge(run.status)}</td>
<td>${run.endedAt ? formatDuration(run.endedAt.getTime() - run.startedAt.getTime()) : '-'}</td>
<td>${formatCount(totals.created)}</td><td>${formatCount(totals.updated)}</td><td>${formatCount(totals.removed)}</td>
<td class="${totals.failed > 0 ? 'failed' : ''}">${formatCount(totals.failed)}</td>
<td class="reason">${error}</td>
</tr>`;
}
