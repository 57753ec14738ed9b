import type { AudienceInfo } from '@cdp/sdk';
import { html } from 'hono/html';
import { formatCount, page, type Html } from '../html.js';

/** The audiences and merge fields the connection's account can see. */
export function audiencesPage(connectionId: string, audiences: AudienceInfo[], csrf: string): Html {
  const body =
    audiences.length === 0
      ? html`<p>The account sees no audiences.</p>`
      : html`<table class="audiences"><thead><tr><th>Audience</th><th>Name</th><th>Members</th><th>Double opt-in</th><th>Merge fields</th></tr></thead>
<tbody>${audiences.map(
          (audience) => html`<tr data-audience="${audience.id}"><td><code>${audience.id}</code></td><td>${audience.name}</td><td>${formatCount(audience.memberCount)}</td>
<td>${audience.doubleOptIn ? 'yes' : 'no'}</td>
<td><ul class="fields">${audience.fields.map((field) => html`<li><code>${field.tag}</code> ${field.name} <small>(${field.type})</small></li>`)}</ul></td></tr>`,
        )}</tbody></table>`;
  return page({ title: `Audiences of ${connectionId}'s account`, csrf, connectionId }, body);
}
