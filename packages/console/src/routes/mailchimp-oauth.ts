import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { sameSecret } from '../access.js';
import type { ConsoleApp, ConsoleContext } from '../console.js';
import { oauthTarget } from '../connections.js';
import type { SecretStore } from '../env-file-secrets.js';
import { page, type Html } from '../html.js';

/** The app registered with Mailchimp (https://admin.mailchimp.com/account/oauth2/) and where its token goes. */
export interface MailchimpOAuthOptions {
  clientId: string;
  /** The app's client secret, read by the host from a secret reference; used server to server only. */
  clientSecret: string;
  /** Mailchimp's login host; another one (the sandbox) in tests. Default https://login.mailchimp.com. */
  baseUrl?: string;
  /** The app's registered redirect URI; default <console URL>/oauth/mailchimp/callback. */
  redirectUri?: string;
  /** Where the access token is stored, under the variable the connection's `auth.accessToken` names. */
  tokens: SecretStore;
}

export const MAILCHIMP_LOGIN_URL = 'https://login.mailchimp.com';
export const CALLBACK_PATH = '/oauth/mailchimp/callback';

/**
 * Binds the callback to the browser that started the flow. SameSite=Lax, not Strict: the callback is a top-level
 * navigation coming from Mailchimp, which a Strict cookie (such as the session's) does not follow. For the same
 * reason the callback needs no session: the one-time `state` (made for a logged-in session) and this cookie prove it.
 */
const STATE_COOKIE = 'cdp_console_oauth';
/** How long a started flow may take. */
const FLOW_LIFETIME_MS = 10 * 60_000;

interface PendingFlow {
  connectionId: string;
  variable: string;
  serverPrefix: string;
  expiresAt: number;
}

interface MailchimpMetadata {
  dc: string;
  accountname?: string;
  api_endpoint?: string;
}

export function mailchimpOAuthRoutes(app: ConsoleApp, context: ConsoleContext, oauth: MailchimpOAuthOptions, consoleUrl: () => string, secureCookies: boolean): void {
  const pending = new Map<string, PendingFlow>();
  const loginUrl = (oauth.baseUrl ?? MAILCHIMP_LOGIN_URL).replace(/\/+$/, '');
  const redirectUri = (): string => oauth.redirectUri ?? `${consoleUrl()}${CALLBACK_PATH}`;

  app.post('/connections/:id/connect-mailchimp', async (c) => {
    const connection = await context.service.connection(c.req.param('id'));
    const target = oauthTarget(connection);
    if (!target) return c.html(result(c, 'Not an OAuth connection', html`<p class="error">Connection ${connection.id} authenticates with an API key: give it <code>"auth": { "accessToken": { "env": "MAILCHIMP_OAUTH_…" }, "serverPrefix": "…" }</code> to connect it with Mailchimp.</p>`), 400);
    const now = Date.now();
    for (const [key, flow] of pending) if (flow.expiresAt < now) pending.delete(key);
    const state = randomBytes(24).toString('base64url');
    pending.set(state, { connectionId: connection.id, ...target, expiresAt: now + FLOW_LIFETIME_MS });
    setCookie(c, STATE_COOKIE, state, { httpOnly: true, sameSite: 'Lax', secure: secureCookies, path: CALLBACK_PATH, maxAge: FLOW_LIFETIME_MS / 1000 });
    const query = new URLSearchParams({ response_type: 'code', client_id: oauth.clientId, redirect_uri: redirectUri(), state });
    return c.redirect(`${loginUrl}/oauth2/authorize?${query}`, 303);
  });

  app.get(CALLBACK_PATH, async (c) => {
    const state = c.req.query('state') ?? '';
    const cookie = getCookie(c, STATE_COOKIE) ?? '';
    deleteCookie(c, STATE_COOKIE, { path: CALLBACK_PATH, secure: secureCookies });
    const flow = pending.get(state);
    pending.delete(state);
    if (!flow || flow.expiresAt < Date.now() || !cookie || !sameSecret(cookie, state)) {
      return c.html(result(c, 'Connection refused', html`<p class="error">This answer from Mailchimp does not belong to a connection started from this browser in the last 10 minutes. Start again from the console.</p>`), 400);
    }
    const denied = c.req.query('error');
    if (denied) return c.html(result(c, 'Not connected', html`<p class="error">Mailchimp answered: ${denied}</p>`), 400);
    const token = await exchangeCode(c.req.query('code') ?? '');
    const metadata = await fetchMetadata(token);
    await oauth.tokens.write(flow.variable, token);
    context.logger.log('info', 'Mailchimp account connected', { connectionId: flow.connectionId, dc: metadata.dc, variable: flow.variable });
    return c.html(
      result(
        c,
        `Connected ${flow.connectionId} with Mailchimp`,
        html`<p class="connected">Connected to the Mailchimp account <strong>${metadata.accountname ?? ''}</strong> (data centre <code>${metadata.dc}</code>).</p>
<p>The access token is stored as <code>${flow.variable}</code> in <code>${oauth.tokens.where}</code>, the variable the connection's <code>auth.accessToken</code> names.</p>
${metadata.dc === flow.serverPrefix ? '' : html`<p class="warning">The connection's <code>serverPrefix</code> is "${flow.serverPrefix}", the account's data centre is "${metadata.dc}": set <code>"serverPrefix": "${metadata.dc}"</code>.</p>`}
<p><a href="/">Back to the connections</a></p>`,
      ),
    );
  });

  /** The authorization code for the access token: a form POST with the client secret, server to server. */
  async function exchangeCode(code: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: oauth.clientId, client_secret: oauth.clientSecret, redirect_uri: redirectUri(), code });
    const answer = await fetch(`${loginUrl}/oauth2/token`, { method: 'POST', body: form, signal: AbortSignal.timeout(30_000) });
    const body = (await answer.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!answer.ok || !body.access_token) throw new Error(`Mailchimp refused the authorization code (HTTP ${answer.status}${body.error ? `, ${body.error}` : ''})`);
    return body.access_token;
  }

  /** The account's data centre, from the metadata endpoint (header `Authorization: OAuth <token>`). */
  async function fetchMetadata(token: string): Promise<MailchimpMetadata> {
    const answer = await fetch(`${loginUrl}/oauth2/metadata`, { headers: { Authorization: `OAuth ${token}` }, signal: AbortSignal.timeout(30_000) });
    const body = (await answer.json().catch(() => ({}))) as Partial<MailchimpMetadata>;
    if (!answer.ok || typeof body.dc !== 'string') throw new Error(`Mailchimp's metadata call failed (HTTP ${answer.status})`);
    return body as MailchimpMetadata;
  }
}

function result(c: Context, title: string, body: Html): Html {
  return page({ title, csrf: (c.get('session') as { csrf?: string } | undefined)?.csrf }, body);
}
