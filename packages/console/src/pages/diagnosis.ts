import type { Diagnosis, ResyncOutcome } from '@cdp/runtime';
import { html } from 'hono/html';
import { csrfField, page, type Html } from '../html.js';

export interface DiagnosisView {
  connectionId: string;
  email?: string;
  diagnosis?: Diagnosis;
  outcomes?: ResyncOutcome[];
  error?: string;
}

/** One email through a connection: profile, consent, segments, each goal's verdict, members, last error; and a re-sync. */
export function diagnosisPage(view: DiagnosisView, csrf: string): Html {
  const { connectionId, diagnosis } = view;
  return page(
    { title: `Diagnose an email in ${connectionId}`, csrf, connectionId },
    html`<form method="get" class="diagnose">
<label>Email <input type="email" name="email" value="${view.email ?? ''}" required></label>
<button type="submit">Diagnose</button>
</form>
${view.error ? html`<p class="error">${view.error}</p>` : ''}
${view.outcomes ? outcomesView(view.outcomes) : ''}
${diagnosis ? diagnosisView(diagnosis, csrf) : ''}`,
  );
}

function outcomesView(outcomes: ResyncOutcome[]): Html {
  return html`<section class="resync"><h2>Re-sync</h2><ul>
${outcomes.map((outcome) => html`<li>${outcome.goalId} / ${outcome.audienceId}: <strong>${outcome.outcome}</strong>${outcome.reason ? ` (${outcome.reason})` : ''}</li>`)}
</ul></section>`;
}

function diagnosisView(diagnosis: Diagnosis, csrf: string): Html {
  const { profile } = diagnosis;
  const last = diagnosis.lastError;
  return html`<section class="diagnosis">
<p><strong>${diagnosis.email}</strong> · member id <code>${diagnosis.memberId}</code></p>
${profile
  ? html`<table><tbody>
<tr><th>Profile</th><td>${profile.id} (updated ${profile.updatedAt.toISOString()})</td></tr>
<tr><th>Consent</th><td>${profile.consent.objectives.join(', ') || 'none'}${diagnosis.consentedObjectives.length > 0 ? ` (matches ${diagnosis.consentedObjectives.join(', ')})` : ' (matches none of the connection: never processed)'}</td></tr>
<tr><th>Segments</th><td>${profile.segments.join(', ') || 'none'}</td></tr>
<tr><th>Lifecycles</th><td>${profile.lifecycles.map((entry) => `${entry.lifecycle}: ${entry.stage}`).join(', ') || 'none'}</td></tr>
</tbody></table>`
  : html`<p class="warning">No profile has this email.</p>`}
<h2>Export goals</h2>
<ul class="verdicts">${diagnosis.exportGoals.map((goal) => html`<li>${goal.goalId} (segment ${goal.segment}): <strong>${goal.verdict}</strong></li>`)}</ul>
<h2>Members</h2>
<table class="members"><thead><tr><th>Goal</th><th>Audience</th><th>Member status</th><th>Last sent</th><th>Last payload</th><th>Error</th></tr></thead>
<tbody>${diagnosis.audiences.map(
    (audience) => html`<tr><td>${audience.goalId}</td><td>${audience.audienceId}</td><td>${audience.memberStatus}</td>
<td>${audience.lastSent?.at.toISOString() ?? '-'}</td><td><code>${audience.lastSent ? JSON.stringify(audience.lastSent.payload) : ''}</code></td>
<td class="reason">${audience.lastSent?.error ?? ''}</td></tr>`,
  )}</tbody></table>
<p class="last-error">Last error: ${last ? html`<span class="reason">${last.reason}</span> (run ${last.runId}, goal ${last.goalId}, ${last.at.toISOString()})` : 'none in the recent runs'}</p>
<form method="post" action="/connections/${diagnosis.connectionId}/resync">${csrfField(csrf)}<input type="hidden" name="email" value="${diagnosis.email}">
<button type="submit">Re-sync this profile now</button></form>
</section>`;
}
