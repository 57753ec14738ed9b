import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';

/** A console that can trigger runs is never open: it needs a password at least this long. */
export const MIN_PASSWORD_LENGTH = 12;

/** An idle session ends after this long. */
const SESSION_IDLE_MS = 8 * 60 * 60_000;

/** Failed logins allowed per minute, all browsers together; beyond them logins wait (guessing stays slow). */
const FAILED_LOGINS_PER_MINUTE = 10;

export const SESSION_COOKIE = 'cdp_console_session';
/** Ties the login form to the browser that loaded it (a session does not exist yet). */
const LOGIN_COOKIE = 'cdp_console_login';
/** The form field, or header for scripts, that carries the CSRF token of every POST. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session {
  id: string;
  csrf: string;
  lastSeen: number;
}

export interface AccessOptions {
  password: string;
  /** Cookies marked Secure: whenever the console is reached other than over plain loopback HTTP. */
  secureCookies: boolean;
  now?: () => number;
}

/** Passwords compared as hashes, so the comparison takes the same time whatever their lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Password login, in-memory sessions behind an HttpOnly, SameSite=Strict cookie, and a per-session CSRF token
 * required on every POST. Sessions end with the process: a restart asks everyone to log in again.
 */
export class Access {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;
  private failedLogins: number[] = [];

  constructor(private readonly options: AccessOptions) {
    if (options.password.trim().length < MIN_PASSWORD_LENGTH) {
      throw new Error(`the console password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
    }
    this.now = options.now ?? Date.now;
  }

  /** The session of the request's cookie, if it is live. */
  session(c: Context): Session | undefined {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (this.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  /**
   * The login form's token, also set as a cookie: the form posts it back, so a page elsewhere cannot log a browser
   * in. A browser that has one keeps it, so that two login pages loaded in turn (a redirected favicon) both work.
   */
  loginToken(c: Context): string {
    const value = getCookie(c, LOGIN_COOKIE) ?? token();
    setCookie(c, LOGIN_COOKIE, value, this.cookie());
    return value;
  }

  /** Whether logins are paused: too many failed in the last minute. */
  loginsPaused(): boolean {
    const since = this.now() - 60_000;
    this.failedLogins = this.failedLogins.filter((at) => at > since);
    return this.failedLogins.length >= FAILED_LOGINS_PER_MINUTE;
  }

  /** Starts a session when the password and the login-form token match. */
  logIn(c: Context, password: string, formToken: string): boolean {
    const expected = getCookie(c, LOGIN_COOKIE);
    deleteCookie(c, LOGIN_COOKIE, this.cookie());
    if (!expected || !sameSecret(formToken, expected) || !sameSecret(password, this.options.password)) {
      this.failedLogins.push(this.now());
      return false;
    }
    this.forgetIdleSessions();
    const session: Session = { id: token(), csrf: token(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    setCookie(c, SESSION_COOKIE, session.id, this.cookie());
    return true;
  }

  /** Sessions nobody came back to would otherwise stay in memory until the process ends. */
  private forgetIdleSessions(): void {
    for (const [id, session] of this.sessions) if (this.now() - session.lastSeen > SESSION_IDLE_MS) this.sessions.delete(id);
  }

  logOut(c: Context, session: Session): void {
    this.sessions.delete(session.id);
    deleteCookie(c, SESSION_COOKIE, this.cookie());
  }

  /**
   * Refuses requests without a session (401 for /api/, a redirect to the login form for pages) and POSTs without
   * the session's CSRF token (403). `open` paths (the login form, static assets, the OAuth callback) pass.
   */
  guard(open: (path: string) => boolean): MiddlewareHandler<{ Variables: { session: Session } }> {
    return async (c, next) => {
      if (open(c.req.path)) return next();
      const session = this.session(c);
      if (!session) {
        if (c.req.path.startsWith('/api/')) return c.json({ error: 'log in first' }, 401);
        const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}` : '';
        return c.redirect(`/login${back}`, 303);
      }
      if (c.req.method === 'POST') {
        const sent = c.req.header(CSRF_HEADER) ?? (await formField(c, CSRF_FIELD));
        if (!sent || !sameSecret(sent, session.csrf)) return c.text('Refused: the form is stale or did not come from this console (CSRF token missing or wrong).', 403);
      }
      c.set('session', session);
      return next();
    };
  }

  private cookie() {
    return { httpOnly: true, sameSite: 'Strict' as const, secure: this.options.secureCookies, path: '/' };
  }
}

/** A field of a urlencoded or multipart form body (parsed once by Hono and cached for the handler). */
export async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
}
