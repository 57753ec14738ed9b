import { randomBytes } from 'node:crypto';
import type { SandboxOAuthOptions } from '../types.js';

/**
 * Mailchimp's OAuth 2 endpoints (login.mailchimp.com/oauth2/…), as an app registered with Mailchimp meets them:
 * `GET authorize` shows the account owner a page to allow the app, which sends the browser back to the app's
 * redirect URI with a one-time `code` (and the app's `state`); `POST token` exchanges the code, with the client
 * secret, for an access token that does not expire; `GET metadata` (header `Authorization: OAuth <token>`) tells
 * the account's data centre and API endpoint. A token issued here is accepted by the sandbox's API like an API key.
 */

export interface OAuthAnswer {
  status: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

/** A code is good for this long, and once. */
const CODE_LIFETIME_MS = 10 * 60_000;

const json = (status: number, body: unknown): OAuthAnswer => ({ status, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' });
const oauthError = (status: number, error: string, description: string): OAuthAnswer => json(status, { error, error_description: description });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export class SandboxOAuth {
  private readonly codes = new Map<string, PendingCode>();
  private readonly tokens = new Set<string>();

  constructor(
    private readonly options: SandboxOAuthOptions,
    /** The sandbox's own URL, once it listens: the API endpoint the metadata names. */
    private readonly apiEndpoint: () => string,
  ) {}

  /** Whether the sandbox issued this access token. */
  issued(token: string): boolean {
    return this.tokens.has(token);
  }

  handle(method: string, url: URL, form: URLSearchParams, authorization: string): OAuthAnswer {
    switch (`${method} ${url.pathname}`) {
      case 'GET /oauth2/authorize':
        return this.authorizePage(url.searchParams);
      case 'POST /oauth2/authorize':
        return this.allow(form);
      case 'POST /oauth2/token':
        return this.token(form);
      case 'GET /oauth2/metadata':
        return this.metadata(authorization);
      default:
        return oauthError(404, 'not_found', `No OAuth endpoint ${method} ${url.pathname}`);
    }
  }

  /** The client's problem with an authorize request, if any: Mailchimp checks the client and its redirect URI. */
  private clientProblem(params: URLSearchParams): string | undefined {
    const client = this.options.clients?.find((candidate) => candidate.clientId === params.get('client_id'));
    if (params.get('response_type') !== 'code') return 'response_type must be code';
    if (this.options.clients && !client) return 'unknown client_id';
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!/^https?:\/\//.test(redirectUri)) return 'redirect_uri must be an http(s) URL';
    if (client?.redirectUri && client.redirectUri !== redirectUri) return 'redirect_uri does not match the registered one';
    return undefined;
  }

  private authorizePage(params: URLSearchParams): OAuthAnswer {
    const problem = this.clientProblem(params);
    if (problem) return { status: 400, body: `<!doctype html><title>Mailchimp sandbox</title><p>Invalid authorize request: ${escapeHtml(problem)}</p>`, contentType: 'text/html; charset=utf-8' };
    const hidden = ['response_type', 'client_id', 'redirect_uri', 'state']
      .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`)
      .join('');
    return {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mailchimp sandbox · Allow access</title></head>
<body><h1>Allow access to ${escapeHtml(this.options.accountName ?? 'Sandbox account')}?</h1>
<p>The app <code>${escapeHtml(params.get('client_id') ?? '')}</code> asks to access this Mailchimp account.</p>
<form method="post" action="/oauth2/authorize">${hidden}<button type="submit" id="allow">Allow</button></form></body></html>`,
    };
  }

  private allow(form: URLSearchParams): OAuthAnswer {
    const problem = this.clientProblem(form);
    if (problem) return oauthError(400, 'invalid_request', problem);
    const code = randomBytes(16).toString('hex');
    const redirectUri = form.get('redirect_uri')!;
    this.codes.set(code, { clientId: form.get('client_id') ?? '', redirectUri, expiresAt: Date.now() + CODE_LIFETIME_MS });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = form.get('state');
    if (state) back.searchParams.set('state', state);
    return { status: 302, headers: { Location: back.toString() } };
  }

  private token(form: URLSearchParams): OAuthAnswer {
    if (form.get('grant_type') !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code');
    const clientId = form.get('client_id') ?? '';
    const client = this.options.clients?.find((candidate) => candidate.clientId === clientId);
    if (this.options.clients && (!client || client.clientSecret !== form.get('client_secret'))) return oauthError(401, 'invalid_client', 'Invalid client credentials');
    const code = form.get('code') ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== clientId || pending.redirectUri !== form.get('redirect_uri')) {
      return oauthError(400, 'invalid_grant', 'Invalid authorization code');
    }
    const accessToken = randomBytes(16).toString('hex');
    this.tokens.add(accessToken);
    return json(200, { access_token: accessToken, expires_in: 0, scope: null });
  }

  private metadata(authorization: string): OAuthAnswer {
    const [scheme, token = ''] = authorization.split(' ');
    if (!/^(OAuth|Bearer)$/i.test(scheme) || !this.tokens.has(token)) return oauthError(401, 'invalid_token', 'Invalid or missing access token');
    const dc = this.options.dc ?? 'us1';
    return json(200, {
      dc,
      role: 'owner',
      accountname: this.options.accountName ?? 'Sandbox account',
      user_id: 1,
      login: { email: 'owner@sandbox.invalid', login_id: 1, login_name: 'sandbox-owner', login_email: 'owner@sandbox.invalid' },
      login_url: 'https://login.mailchimp.com',
      api_endpoint: this.apiEndpoint(),
    });
  }
}
