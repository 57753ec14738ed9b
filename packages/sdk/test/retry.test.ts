import { describe, expect, it } from '@jest/globals';
import { retry } from '../src/index.js';

/** An operation that fails `failures` times with the given errors, then resolves with its attempt number. */
function flaky(failures: number, error: (attempt: number) => unknown = (attempt) => new Error(`failure ${attempt}`)) {
  const calls: number[] = [];
  const operation = async (attempt: number): Promise<number> => {
    calls.push(attempt);
    if (attempt <= failures) throw error(attempt);
    return attempt;
  };
  return { operation, calls };
}

describe('retry', () => {
  it('retries failures until the operation resolves', async () => {
    const { operation, calls } = flaky(2);
    await expect(retry(operation, { attempts: 5, backoffMs: 1 })).resolves.toBe(3);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('rejects with the last failure once the attempts are spent', async () => {
    const { operation, calls } = flaky(10);
    await expect(retry(operation, { attempts: 3, backoffMs: 1 })).rejects.toThrow('failure 3');
    expect(calls).toEqual([1, 2, 3]);
  });

  it('does not retry a failure that is final', async () => {
    const { operation, calls } = flaky(10, (attempt) => Object.assign(new Error(`failure ${attempt}`), { final: attempt === 2 }));
    await expect(retry(operation, { attempts: 5, backoffMs: 1, retryable: (error) => !(error as { final: boolean }).final })).rejects.toThrow('failure 2');
    expect(calls).toEqual([1, 2]);
  });

  it('doubles the pause, up to its ceiling, and waits at least what a failure asks for', async () => {
    const pauses: number[] = [];
    const { operation } = flaky(4, (attempt) => Object.assign(new Error('busy'), { retryAfterMs: attempt === 4 ? 30 : undefined }));
    await retry(operation, {
      attempts: 5,
      backoffMs: 2,
      maxBackoffMs: 6,
      minimumPause: (error) => (error as { retryAfterMs?: number }).retryAfterMs,
      onRetry: (_error, _attempt, pause) => pauses.push(pause),
    });
    expect(pauses).toEqual([2, 4, 6, 30]);
  });

  it('draws a jittered pause between half and all of the backoff', async () => {
    const pauses: number[] = [];
    const { operation } = flaky(20);
    await retry(operation, { attempts: 21, backoffMs: 8, maxBackoffMs: 8, jitter: true, onRetry: (_e, _a, pause) => pauses.push(pause) }).catch(() => undefined);
    expect(pauses).toHaveLength(20);
    for (const pause of pauses) expect(pause).toBeGreaterThanOrEqual(4);
    for (const pause of pauses) expect(pause).toBeLessThanOrEqual(8);
  });

  it('starts no attempt after the deadline, and no pause reaches past it', async () => {
    const { operation, calls } = flaky(100);
    const pauses: number[] = [];
    // A second of margin, so that a busy machine still reaches the first pause before the deadline.
    const deadline = Date.now() + 1_000;
    await expect(retry(operation, { attempts: 100, backoffMs: 60_000, deadline, onRetry: (_e, _a, pause) => pauses.push(pause) })).rejects.toThrow('failure 1');
    expect(calls).toEqual([1]);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toBeLessThanOrEqual(1_000);
  });
});
