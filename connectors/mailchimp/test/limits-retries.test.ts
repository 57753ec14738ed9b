import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { RetryableError } from '@cdp/sdk';
import { collect, connect, failureOf, KEY_A, startTestSandbox, type LogRecord, type TestSandbox } from './support/sandbox-session.js';

const members = Array.from({ length: 30 }, (_, i) => ({ email_address: `m${i}@shop.com`, status: 'subscribed' as const }));

describe('request limits and retries', () => {
  let sb: TestSandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({ seed: { apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', members }] } });
  });
  afterEach(() => {
    sb.sandbox.admin.setFaults({});
    sb.sandbox.admin.resetCounters();
    sb.statuses.length = 0;
  });
  afterAll(() => sb.sandbox.close());

  it('never has more than 10 requests of one key in flight across sessions (the sandbox refuses the 11th)', async () => {
    sb.sandbox.admin.setFaults({ latencyMs: 20 });
    const sessions = await Promise.all([connect(sb.sandbox), connect(sb.sandbox), connect(sb.sandbox)]);
    await Promise.all(
      sessions.flatMap((session) => [
        ...Array.from({ length: 25 }, () => session.check()),
        collect(session.members.readMembers('L1', { statuses: ['subscribed', 'pending', 'unsubscribed', 'cleaned'] })),
        session.members.removeMembers('L1', [{ id: 'x', email: 'nobody@shop.com', status: 'subscribed' }], 'archive'),
      ]),
    );
    expect(sb.sandbox.admin.counters().total).toBe(3 * 30);
    expect(sb.count(429)).toBe(0);
    expect(sessions.map((s) => s.stats().retries)).toEqual([0, 0, 0]);
  });

  it('keeps to a lower configured limit', async () => {
    const strict = await startTestSandbox({ seed: { apiKeys: [KEY_A] }, maxConnectionsPerKey: 3, faults: { latencyMs: 10 } });
    try {
      const session = await connect(strict.sandbox, KEY_A, { maxInFlight: 3, retry: { maxRetries: 0 } });
      await Promise.all(Array.from({ length: 30 }, () => session.check()));
      expect(strict.count(429)).toBe(0);
      expect(strict.count(200)).toBe(30);
    } finally {
      await strict.sandbox.close();
    }
  });

  it('retries injected 429s, 500s and connection resets until every call succeeds, counting them', async () => {
    sb.sandbox.admin.setFaults({ rate429: 0.25, retryAfterSeconds: 0, rate500: 0.15, rateReset: 0.1, seed: 42 });
    const session = await connect(sb.sandbox);
    await Promise.all(Array.from({ length: 40 }, () => session.check()));
    const sent = sb.sandbox.admin.counters().total;
    expect(session.stats()).toEqual({ apiCalls: sent, retries: sent - 40 });
    expect(sb.count(429)).toBeGreaterThan(0);
    expect(sb.count(500)).toBeGreaterThan(0);
    // Resets leave no answer: they are the requests sent that were neither answered 429/500 nor 200.
    expect(sent - sb.count(429) - sb.count(500) - sb.count(200)).toBeGreaterThan(0);
  });

  it("honours Retry-After even when the backoff would be shorter, and gives up after the last retry", async () => {
    sb.sandbox.admin.setFaults({ rate429: 1, retryAfterSeconds: 1 });
    const logs: LogRecord[] = [];
    const session = await connect(sb.sandbox, KEY_A, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } }, logs);
    const error = await failureOf(session.check());
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(1000);
    expect(logs.map((log) => log.fields?.delayMs)).toEqual([1000]);
    expect(session.stats()).toEqual({ apiCalls: 2, retries: 1 });
  });

  it('does not wait for a Retry-After longer than the cap: the call fails at once as retryable', async () => {
    sb.sandbox.admin.setFaults({ rate429: 1, retryAfterSeconds: 86_400 });
    const session = await connect(sb.sandbox, KEY_A, { retry: { maxRetries: 6, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 } });
    const error = await failureOf(session.check());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toContain('asked to wait 86400 s before retrying, longer than the 2 s a run waits');
    expect(session.stats()).toEqual({ apiCalls: 1, retries: 0 });
  });

  it('abandons a request after the configured timeout and retries it', async () => {
    sb.sandbox.admin.setFaults({ rateSlow: 1, slowMs: 1500 });
    const session = await connect(sb.sandbox, KEY_A, { timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
    const error = await failureOf(session.check());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toContain('timed out after 100 ms');
    expect(session.stats()).toEqual({ apiCalls: 2, retries: 1 });
  });
});
