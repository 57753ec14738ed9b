import { nextRuns, type Connection, type RunReport, type Schedule } from '@cdp/sdk';
import { html } from 'hono/html';
import { oauthTarget, type ListedConnection } from '../connections.js';
import { page, postButton, statusBadge, type Html } from '../html.js';

/** Next runs shown per connection. */
const NEXT_RUNS = 3;

export interface ConnectionRow {
  listed: ListedConnection;
  lastRun?: RunReport;
}

/** Every connection: its schedule and next runs, its last run, and the buttons to test, run and connect it. */
export function connectionsPage(rows: ConnectionRow[], csrf: string, canConnect: boolean, now: Date): Html {
  const body =
    rows.length === 0
      ? html`<p>No connections.</p>`
      : html`<table class="connections">
<thead><tr><th>Connection</th><th>Schedule</th><th>Next runs</th><th>Last run</th><th></th></tr></thead>
<tbody>${rows.map((row) => ('connection' in row.listed ? validRow(row.listed.connection, row.lastRun, csrf, canConnect, now) : refusedRow(row.listed.id, row.listed.refusal)))}</tbody>
</table>`;
  return page({ title: 'Connections', csrf }, body);
}

function validRow(connection: Connection, lastRun: RunReport | undefined, csrf: string, canConnect: boolean, now: Date): Html {
  const id = connection.id;
  const next = connection.enabled && connection.schedule ? nextRuns(connection.schedule, now, NEXT_RUNS) : [];
  return html`<tr data-connection="${id}">
<td><a href="/connections/${id}/history"><strong>${connection.name}</strong></a><br><code>${id}</code>${connection.enabled ? '' : html` <span class="status status-disabled">disabled</span>`}</td>
<td>${connection.schedule ? describeSchedule(connection.schedule) : 'no schedule'}</td>
<td>${next.length > 0 ? html`<ul class="next-runs">${next.map((slot) => html`<li><time datetime="${slot.toISOString()}">${slot.toISOString()}</time></li>`)}</ul>` : connection.enabled ? '-' : 'disabled'}</td>
<td>${lastRun ? html`<a href="/connections/${id}/runs/${lastRun.runId}">${lastRun.startedAt.toISOString()}</a> ${statusBadge(lastRun.status)}` : 'never run'}</td>
<td class="actions">
${postButton(`/connections/${id}/test`, 'Test', csrf)}
${postButton(`/connections/${id}/run`, 'Run now', csrf)}
${canConnect && oauthTarget(connection) ? postButton(`/connections/${id}/connect-mailchimp`, 'Connect with Mailchimp', csrf) : ''}
</td>
</tr>`;
}

function refusedRow(id: string, refusal: string): Html {
  return html`<tr data-connection="${id}"><td><code>${id}</code></td><td colspan="3" class="error">Refused: ${refusal}</td>
<td><a href="/connections/${id}/history">History</a></td></tr>`;
}

/** A schedule in words, e.g. "mon, wed, fri at 06:30, 18:00 (Europe/Amsterdam)". */
export function describeSchedule(schedule: Schedule): string {
  const zone = ` (${schedule.timeZone})`;
  switch (schedule.type) {
    case 'timesPerDay':
      return `${schedule.timesPerDay} times a day from ${schedule.start ?? '00:00'}${zone}`;
    case 'daysOfWeek':
      return `${schedule.days.join(', ')} at ${schedule.at.join(', ')}${zone}`;
    case 'daysOfMonth':
      return `days ${schedule.days.join(', ')}${schedule.months ? ` of months ${schedule.months.join(', ')}` : ''} at ${schedule.at.join(', ')}${zone}`;
    case 'weekdayOfMonth':
      return `the ${schedule.week} ${schedule.weekday} at ${schedule.at.join(', ')}${zone}`;
  }
}
