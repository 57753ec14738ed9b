import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ConnectionSource, RunService, SecretResolver } from '@cdp/runtime';
import type { Connector, Logger, ProfileStore, StateStore } from '@cdp/sdk';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { Access, type Session } from './access.js';
import { loadAssets } from './assets.js';
import { page } from './html.js';
import { LiveRuns } from './live-runs.js';
import { accountRoutes } from './routes/account.js';
import { loginRoutes } from './routes/login.js';
import { CALLBACK_PATH, MAILCHIMP_LOGIN_URL, mailchimpOAuthRoutes, type MailchimpOAuthOptions } from './routes/mailchimp-oauth.js';
import { runRoutes } from './routes/runs.js';

export interface ConsoleOptions {
  service: RunService;
  stores: { profiles: ProfileStore; state: StateStore };
  /** Where the connections come from (the same source the run service reads). */
  connections: ConnectionSource;
  /** The connectors, for what the console asks an account directly: audiences, a member's status. */
  connectors: Connector[];
  /** The host's secret resolution, for those sessions' credentials (never sent to the browser). */
  secrets: SecretResolver;
  logger: Logger;
  /** The password that opens the console, read by the host from a secret reference; refused when shorter than 12. */
  password: string;
  /** Default 127.0.0.1 and a free port. Any other host than loopback is the host's explicit choice. */
  listen?: { host?: string; port?: number };
  /**
   * Cookies marked Secure. Default: unless the console listens on loopback, where it is reached over plain HTTP;
   * beyond loopback it is expected behind HTTPS (a reverse proxy), so cookies never travel in clear.
   */
  secureCookies?: boolean;
  /** "Connect with Mailchimp": the OAuth app, and where the access tokens go. Without it the button is not shown. */
  oauth?: MailchimpOAuthOptions;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

/** What every group of routes gets. */
export interface ConsoleContext extends ConsoleOptions {
  access: Access;
  liveRuns: LiveRuns;
}

export type ConsoleApp = Hono<{ Variables: { session: Session } }>;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Paths open without a session: the login form, the script and stylesheet, and the OAuth callback (see there). */
const isOpen = (path: string): boolean => path === '/login' || path.startsWith('/assets/') || path === CALLBACK_PATH;

/** Starts the web console in this process; `close()` stops it (runs it started go on until they end). */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.listen?.host ?? '127.0.0.1';
  const secureCookies = options.secureCookies ?? !LOOPBACK.has(host);
  const access = new Access({ password: options.password, secureCookies });
  const context: ConsoleContext = { ...options, access, liveRuns: new LiveRuns(options.service) };
  const app: ConsoleApp = new Hono();
  const assets = loadAssets();
  // Connect with Mailchimp posts a form that redirects to Mailchimp's login host: the CSP has to let it go there.
  const formTargets = ["'self'", ...(options.oauth ? [new URL(options.oauth.baseUrl ?? MAILCHIMP_LOGIN_URL).origin] : [])].join(' ');
  let url = '';

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', `default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action ${formTargets}; base-uri 'none'`);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  });
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    return asset ? c.body(asset.body, 200, { 'Content-Type': asset.type }) : c.notFound();
  });
  // Browsers ask for it on every page; there is none, and asking is no reason to be sent to the login form.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.use('*', access.guard(isOpen));
  loginRoutes(app, context);
  runRoutes(app, context);
  accountRoutes(app, context);
  if (options.oauth) mailchimpOAuthRoutes(app, context, options.oauth, () => url, secureCookies);
  // The run service, the stores and the connectors keep secrets out of their errors, so the message can be shown.
  app.onError((error, c) => {
    options.logger.log('error', 'console request failed', { path: c.req.path, error: error.message });
    return c.html(page({ title: 'Error', csrf: c.get('session')?.csrf }, html`<p class="error">${error.message}</p>`), 500);
  });

  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open event streams and kept-alive connections would hold the server open.
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
    },
  };
}
