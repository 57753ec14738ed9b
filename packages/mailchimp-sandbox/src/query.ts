import { parseTimestamp } from './clock.js';
import { badRequest } from './problem.js';

export interface Page {
  count: number;
  offset: number;
}

export function parsePage(query: URLSearchParams, maxCount = 1000): Page {
  return { count: parseInteger(query, 'count', 10, maxCount), offset: parseInteger(query, 'offset', 0, Number.MAX_SAFE_INTEGER) };
}

function parseInteger(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw badRequest(`The parameter ${name} must be an integer between 0 and ${max}.`);
  }
  return value;
}

export function paginate<T>(items: T[], page: Page): T[] {
  return items.slice(page.offset, page.offset + page.count);
}

/** Epoch seconds of a timestamp parameter, or undefined when absent. */
export function parseTimeParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const seconds = parseTimestamp(raw);
  if (seconds === undefined) throw badRequest(`The parameter ${name} must be an ISO 8601 time, e.g. 2015-10-21T15:41:36+00:00.`);
  return seconds;
}

export function parseEnumParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!allowed.includes(raw as T)) throw badRequest(`The parameter ${name} must be one of: ${allowed.join(', ')}.`);
  return raw as T;
}

export function parseBooleanParam(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}
