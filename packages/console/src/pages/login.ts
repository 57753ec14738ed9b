import { html } from 'hono/html';
import { CSRF_FIELD } from '../access.js';
import { page, type Html } from '../html.js';

export function loginPage(formToken: string, next: string, failed: boolean): Html {
  return page(
    { title: 'Log in' },
    html`<form method="post" action="/login" class="login">
<input type="hidden" name="${CSRF_FIELD}" value="${formToken}">
<input type="hidden" name="next" value="${next}">
${failed ? html`<p class="error">Wrong password.</p>` : ''}
<label>Password <input type="password" name="password" autocomplete="current-password" autofocus required></label>
<button type="submit">Log in</button>
</form>`,
  );
}
