import type { GoalProgress } from '@cdp/sdk';
import { html } from 'hono/html';
import { formatCount, page, type Html } from '../html.js';
import type { LiveRunView } from '../live-runs.js';
import { reportView } from './report.js';

const UNITS: Record<GoalProgress['phase'], string> = { read: 'members read', write: 'profiles processed', remove: 'members checked' };

/** One line of progress: where the goal is, done of total when known. */
export function progressLine(progress: GoalProgress): string {
  const where = progress.audienceId ? `${progress.goalId} ${progress.audienceId}` : progress.goalId;
  const total = progress.total !== undefined ? ` of ${formatCount(Math.max(progress.total, progress.done))}` : '';
  return `${where}: ${formatCount(progress.done)}${total} ${UNITS[progress.phase]}`;
}

/**
 * A run or dry run started from the console: its progress per goal, followed live by the page's script over
 * server-sent events (/api/live-runs/:id/events), then its report once it ended.
 */
export function liveRunPage(view: LiveRunView, csrf: string): Html {
  const what = view.dryRun ? 'Test (dry run)' : 'Run now';
  const state = view.state === 'running' ? 'running…' : view.state === 'failed' ? 'failed' : 'ended';
  return page(
    { title: `${what}: ${view.connectionId}`, csrf, connectionId: view.connectionId },
    html`<section id="live-run" data-live-run="${view.id}" data-state="${view.state}">
<p class="live-state">${state}</p>
<ul class="progress">${view.progress.map((progress) => html`<li>${progressLine(progress)}</li>`)}</ul>
${view.error ? html`<p class="error">${view.error}</p>` : ''}
</section>
${view.report ? reportView(view.report) : ''}
${view.report && !view.dryRun ? html`<p><a href="/connections/${view.connectionId}/history">See it in the history</a></p>` : ''}`,
  );
}
