import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { CSRF_FIELD } from './access.js';

/** What the html`` helper returns: values interpolated into it are escaped, nested templates are not. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageOptions {
  title: string;
  /** The session's CSRF token, for the page's forms; absent on the login page. */
  csrf?: string;
  /** The connection the page is about, for the navigation. */
  connectionId?: string;
}

/** Every page: the navigation, the stylesheet and the one script (no inline script, as the CSP says). */
export function page(options: PageOptions, body: Html): Html {
  const id = options.connectionId;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · CDP console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/chart.umd.min.js" defer></script>
<script src="/assets/console.js" defer></script>
</head>
<body>
<header>
  <a class="brand" href="/">CDP console</a>
  ${id
    ? html`<nav>
        <a href="/connections/${id}/history">History</a>
        <a href="/connections/${id}/diagnose">Diagnose</a>
        <a href="/connections/${id}/audiences">Audiences</a>
      </nav>`
    : ''}
  ${options.csrf
    ? html`<form method="post" action="/logout" class="logout">${csrfField(options.csrf)}<button type="submit">Log out</button></form>`
    : ''}
</header>
<main>
<h1>${options.title}</h1>
${body}
</main>
</body>
</html>`;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">`;
}

/** A button that POSTs to `action` with the CSRF token. */
export function postButton(action: string, label: string, csrf: string, extra: Html | string = ''): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(csrf)}${extra}<button type="submit">${label}</button></form>`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function statusBadge(status: string): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}
