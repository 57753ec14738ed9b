import type { SandboxStore } from './store.js';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  apiKey: string;
  store: SandboxStore;
  settings: RouteSettings;
}

export interface RouteSettings {
  archivedInDefaultListing: boolean;
  /** Absolute base of the sandbox, for links such as batch result files. */
  url: string;
  /** Runs one operation of POST /batches through the same routes. */
  dispatch: (method: string, path: string, query: URLSearchParams, body: unknown, apiKey: string) => RouteResult;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below /3.0 with OpenAPI parameter names, e.g. `/lists/{list_id}/members`. */
  template: string;
  handle: (context: RouteContext) => RouteResult;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  constructor(private readonly routes: Route[]) {}

  /** Finds the route for a path below /3.0; `pathExists` tells 405 from 404 when the method is wrong. */
  match(method: string, path: string): { match?: RouteMatch; template?: string; allowed: string[] } {
    const segments = path.replace(/\/+$/, '').split('/').slice(1);
    const candidates = this.routes
      .map((route) => ({ route, params: matchTemplate(route.template, segments) }))
      .filter((entry): entry is RouteMatch => entry.params !== undefined);
    const match = candidates.find((entry) => entry.route.method === method);
    return { match, template: candidates[0]?.route.template, allowed: candidates.map((entry) => entry.route.method) };
  }
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const param = /^\{(\w+)\}$/.exec(part);
    if (param) params[param[1]] = decodeURIComponent(segments[index]);
    else if (part !== segments[index]) return undefined;
  }
  return params;
}
