import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdmin, handleAdminRequest } from './admin.js';
import { selectFields } from './fields.js';
import { FaultInjector } from './faults.js';
import { CallCounters, ConnectionLimiter } from './limits.js';
import { ApiError, notFound, problemBody } from './problem.js';
import { Router, type RouteResult, type RouteSettings } from './router.js';
import { batchRoutes } from './routes/batches.js';
import { batchSubscribeRoutes } from './routes/batch-subscribe.js';
import { campaignRoutes } from './routes/campaigns.js';
import { interestCategoryRoutes } from './routes/interest-categories.js';
import { listRoutes } from './routes/lists.js';
import { memberRoutes } from './routes/members.js';
import { SandboxOAuth } from './routes/oauth.js';
import { segmentRoutes } from './routes/segments.js';
import { SandboxStore } from './store.js';
import type { Sandbox, SandboxOptions } from './types.js';

const API_PREFIX = '/3.0';
const API_KEY_SHAPE = /^[0-9a-f]{32}-[a-z]+\d+$/;
const routes = [...listRoutes, ...memberRoutes, ...batchSubscribeRoutes, ...segmentRoutes, ...interestCategoryRoutes, ...campaignRoutes, ...batchRoutes];
const router = new Router(routes);

/** The API paths the sandbox answers, as OpenAPI templates (the vendored spec keeps these). */
export const ROUTE_TEMPLATES: readonly string[] = [...new Set(routes.map((route) => route.template))];

class BodyParseError extends Error {}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyParseError('We encountered an unspecified JSON parsing error.');
  }
}

/**
 * The API key from HTTP Basic auth (any user name), or an OAuth access token the sandbox issued, sent as
 * `Bearer <token>` (as the official client sends its `accessToken`) or as the Basic password; never echoed back.
 */
function apiKeyOf(request: IncomingMessage, accepted: Set<string>, oauth: SandboxOAuth): string {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer && oauth.issued(bearer[1])) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (!basic && !bearer) throw new ApiError(401, 'API Key Missing', 'Your request did not include an API key.');
  const decoded = basic ? Buffer.from(basic[1], 'base64').toString('utf8') : '';
  const key = decoded.slice(decoded.indexOf(':') + 1);
  const known = oauth.issued(key) || (accepted.size > 0 ? accepted.has(key) : API_KEY_SHAPE.test(key));
  if (!known) throw new ApiError(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
  return key;
}

function faultError(fault: '429' | '500' | '503', retryAfterSeconds: number): ApiError {
  if (fault === '429') {
    return new ApiError(429, 'TooManyRequests', 'You have exceeded the limit of 10 simultaneous connections.', undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
  return fault === '500'
    ? new ApiError(500, 'Internal Server Error', 'An unexpected internal error has occurred. Please contact Support for more information.')
    : new ApiError(503, 'Service Unavailable', 'The service is temporarily unavailable. Please try again later.');
}

/** Starts the sandbox on 127.0.0.1; `port: 0` (the default) picks a free port. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new SandboxStore();
  const counters = new CallCounters();
  const faults = new FaultInjector(options.faults);
  const limiter = new ConnectionLimiter(options.maxConnectionsPerKey ?? 10, counters);
  const admin = createAdmin(store, counters, faults);
  const closing = new AbortController();
  // Every delayed answer in flight listens on this one signal, so there are legitimately many listeners.
  setMaxListeners(0, closing.signal);
  if (options.seed) admin.seed(options.seed);

  const oauth = new SandboxOAuth(options.oauth ?? {}, () => settings.url);
  const settings: RouteSettings = {
    archivedInDefaultListing: options.archivedInDefaultListing ?? true,
    url: '',
    dispatch: (method, path, query, body, apiKey) => dispatch(method, path, query, body, apiKey).result,
  };

  /** Runs one API call against the routes; errors become problem bodies. */
  function dispatch(method: string, path: string, query: URLSearchParams, body: unknown, apiKey: string): { result: RouteResult; headers: Record<string, string> } {
    const { match, allowed } = router.match(method, path);
    try {
      if (!match) {
        if (allowed.length === 0) throw notFound();
        throw new ApiError(405, 'Method Not Allowed', `The requested method and resource are not compatible. See the Allow header for this resource's available methods.`, undefined, { Allow: allowed.join(', ') });
      }
      const result = match.route.handle({ params: match.params, query, body, apiKey, store, settings });
      const selected = selectFields(result.body, query.get('fields') ?? undefined, query.get('exclude_fields') ?? undefined, method === 'GET');
      return { result: { status: result.status, body: selected }, headers: {} };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { result: { status: error.status, body: problemBody(error) }, headers: error.headers };
    }
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json; charset=utf-8'): void {
    if (response.destroyed || response.headersSent) return;
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    response.writeHead(status, { ...headers, ...(payload === undefined ? {} : { 'Content-Type': contentType }) });
    response.end(payload);
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const path = url.pathname.slice(API_PREFIX.length) || '/';
    const route = router.match(method, path).template;
    counters.record(method, route ?? '(unknown)', request.socket);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (faults.echoCredentials) echoCredentials(body, request.headers.authorization ?? '');
      options.onResponse?.({ method, route, status, body });
      const isProblem = status >= 400;
      send(response, status, body, headers, isProblem ? 'application/problem+json; charset=utf-8' : undefined);
    };
    try {
      const apiKey = apiKeyOf(request, store.apiKeys, oauth);
      const release = limiter.acquire(apiKey);
      if (!release) throw new ApiError(429, 'TooManyRequests', 'You have exceeded the limit of 10 simultaneous connections.');
      response.once('close', release);
      const body = await readBody(request);
      const fault = faults.next();
      // The answer comes `latencyMs` after the request arrived, its own processing included, as from a remote
      // service that handles an account's requests side by side: one request's work does not delay another's answer.
      const arrived = performance.now();
      const answerAfter = (ms: number) => (ms > 0 ? sleep(Math.max(0, ms - (performance.now() - arrived)), undefined, { signal: closing.signal }) : undefined);
      if (fault === 'reset' || fault === '429' || fault === '500' || fault === '503') {
        await answerAfter(faults.latencyMs);
        if (fault !== 'reset') throw faultError(fault, faults.retryAfterSeconds);
        request.socket.destroy();
        return;
      }
      // A slow request is handled only when its long wait is over, as before a client gives up on it.
      if (fault === 'slow') await answerAfter(faults.latencyMs + faults.slowMs);
      const { result, headers } = dispatch(method, path, url.searchParams, body, apiKey);
      await answerAfter(faults.latencyMs);
      answer(result.status, result.body, headers);
    } catch (error) {
      if (closing.signal.aborted) return;
      if (error instanceof BodyParseError) return answer(400, problemBody(new ApiError(400, 'JSON Parse Exception', error.message)));
      if (error instanceof ApiError) return answer(error.status, problemBody(error), error.headers);
      answer(500, problemBody(new ApiError(500, 'Internal Server Error', 'An unexpected internal error has occurred.')));
    }
  }

  async function handleAdmin(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    let body: unknown;
    try {
      body = await readBody(request);
    } catch (error) {
      return send(response, 400, { error: (error as Error).message });
    }
    const result = handleAdminRequest(admin, store, faults, request.method ?? 'GET', url.pathname, body);
    send(response, result.status, result.body, {}, result.contentType);
  }

  async function handleOAuth(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const answer = oauth.handle(request.method ?? 'GET', url, form, request.headers.authorization ?? '');
    send(response, answer.status, answer.body === undefined ? undefined : Buffer.from(answer.body), answer.headers, answer.contentType);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/_sandbox/')) void handleAdmin(request, response, url);
    else if (url.pathname.startsWith('/oauth2/')) void handleOAuth(request, response, url);
    else if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) void handleApi(request, response, url);
    else send(response, 404, problemBody(notFound()), {}, 'application/problem+json; charset=utf-8');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  settings.url = url;

  return {
    url,
    baseUrl: `${url}${API_PREFIX}`,
    admin,
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The `echoCredentials` fault: appends the Authorization header (and the key it carries) to every error text. */
function echoCredentials(body: unknown, authorization: string): void {
  if (typeof body !== 'object' || body === null) return;
  const [scheme, credentials = ''] = authorization.split(' ');
  const key = scheme === 'Basic' ? Buffer.from(credentials, 'base64').toString('utf8').split(':').slice(1).join(':') : credentials;
  const echo = ` (request sent "${authorization}", key ${key}, key part ${key.split('-')[0]})`;
  const record = body as { detail?: unknown; errors?: unknown };
  if (typeof record.detail === 'string') record.detail += echo;
  if (!Array.isArray(record.errors)) return;
  for (const error of record.errors as { error?: unknown }[]) if (typeof error?.error === 'string') error.error += echo;
}
