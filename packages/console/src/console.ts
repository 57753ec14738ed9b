import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ConnectionSource, RunService, SecretResolver } from '@cdp/runtime';
import type { Connector, Logger, ProfileStore, StateStore } from '@cdp/sdk';
import { Hono } from 'hono';
import { Access, type Session } from './access.js';
import { loadAssets } from './assets.js';
import { LiveRuns } from './live-runs.js';
import { loginRoutes } from './routes/login.js';
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

/** Paths open without a session: the login form, the script and stylesheet. */
const isOpen = (path: string): boolean => path === '/login' || path.startsWith('/assets/');

/** Starts the web console in this process; `close()` stops it (runs it started go on until they end). */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.listen?.host ?? '127.0.0.1';
  const access = new Access({ password: options.password, secureCookies: options.secureCookies ?? !LOOPBACK.has(host) });
  const context: ConsoleContext = { ...options, access, liveRuns: new LiveRuns(options.service) };
  const app: ConsoleApp = new Hono();
  const assets = loadAssets();

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
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
  app.onError((error, c) => {
    options.logger.log('error', 'console request failed', { path: c.req.path, error: error.message });
    return c.text(`Error: ${error.message}`, 500);
  });

  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
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
