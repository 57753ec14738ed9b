import { describe, expect, it } from '@jest/globals';
import { classifyFailure, parseRetryAfter } from '../src/failures.js';

const httpError = (status: number, body: unknown, headers: Record<string, string> = {}): unknown => ({
  status,
  response: { body, text: body === undefined ? '' : JSON.stringify(body), headers },
});

describe('classifying failed requests', () => {
  it('retries throttling and server errors, honouring Retry-After', () => {
    expect(classifyFailure(httpError(429, { title: 'TooManyRequests' }, { 'retry-after': '2' }))).toEqual({
      kind: 'retry',
      description: '429 TooManyRequests',
      retryAfterMs: 2000,
    });
    expect(classifyFailure(httpError(503, { title: 'Service Unavailable' }))).toMatchObject({ kind: 'retry' });
  });

  it('retries a bodiless 403 but not a 403 with a problem body', () => {
    expect(classifyFailure(httpError(403, undefined))).toMatchObject({ kind: 'retry' });
    expect(classifyFailure(httpError(403, { title: 'User Disabled', detail: 'This account is disabled.' }))).toEqual({
      kind: 'permanent',
      status: 403,
      title: 'User Disabled',
      detail: 'This account is disabled.',
    });
  });

  it('maps 401 to refused credentials and other 4xx to permanent errors', () => {
    expect(classifyFailure(httpError(401, { title: 'API Key Invalid' }))).toMatchObject({ kind: 'credentials' });
    expect(classifyFailure(httpError(404, { title: 'Resource Not Found', detail: 'x' }))).toMatchObject({ kind: 'permanent', status: 404 });
  });

  it('retries resets and timeouts, but not a server that is not there', () => {
    expect(classifyFailure({ code: 'ECONNRESET' })).toMatchObject({ kind: 'retry' });
    expect(classifyFailure({ code: 'ECONNABORTED', timeout: 300 })).toEqual({ kind: 'retry', description: 'timed out after 300 ms' });
    expect(classifyFailure({ code: 'ECONNREFUSED' })).toMatchObject({ kind: 'unreachable' });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
