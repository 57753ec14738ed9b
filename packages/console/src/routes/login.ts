import type { ConsoleApp, ConsoleContext } from '../console.js';
import { CSRF_FIELD, formField } from '../access.js';
import { loginPage } from '../pages/login.js';

/** Where a login goes on: a path of this console only, never another site. */
function localPath(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export function loginRoutes(app: ConsoleApp, { access }: ConsoleContext): void {
  app.get('/login', (c) => c.html(loginPage(access.loginToken(c), localPath(c.req.query('next')), false)));

  app.post('/login', async (c) => {
    if (access.loginsPaused()) return c.text('Too many failed logins in the last minute: try again in a minute.', 429);
    const [password, token, next] = await Promise.all([formField(c, 'password'), formField(c, CSRF_FIELD), formField(c, 'next')]);
    if (access.logIn(c, password ?? '', token ?? '')) return c.redirect(localPath(next), 303);
    return c.html(loginPage(access.loginToken(c), localPath(next), true), 401);
  });

  app.post('/logout', (c) => {
    access.logOut(c, c.get('session'));
    return c.redirect('/login', 303);
  });
}
