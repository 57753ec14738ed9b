/** How an operation is retried: how often, how long it pauses between attempts, and which failures are final. */
export interface RetryOptions {
  /** Attempts in all, the first one included (at least 1). */
  attempts: number;
  /** The pause before the first retry; it doubles after each one. */
  backoffMs: number;
  /** The longest pause backoff grows to; default none. */
  maxBackoffMs?: number;
  /** Each pause is drawn between half and all of the backoff, so that many callers do not retry in step. */
  jitter?: boolean;
  /** Epoch milliseconds: no attempt starts after it, and no pause reaches past it. */
  deadline?: number;
  /** Whether a failure is worth another attempt; default: every failure is. */
  retryable?(error: unknown): boolean;
  /** The least pause this failure asks for (a server's Retry-After), in milliseconds. */
  minimumPause?(error: unknown): number | undefined;
  /** Told before each pause: the failure, the attempt that failed (from 1) and the pause. */
  onRetry?(error: unknown, attempt: number, pauseMs: number): void;
}

/**
 * Runs `operation` until it resolves, retrying failures with exponential backoff; rejects with the last failure
 * once it is final, the attempts are spent or the deadline has come. The one retry loop of the project.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts, deadline = Infinity } = options;
  let backoff = options.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || options.retryable?.(error) === false) throw error;
      const step = Math.min(backoff, options.maxBackoffMs ?? Infinity);
      const drawn = options.jitter ? step / 2 + Math.random() * (step / 2) : step;
      const pause = Math.round(Math.max(drawn, options.minimumPause?.(error) ?? 0));
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      // A pause that reaches the deadline ends the retries, even when its timer fires a millisecond before the clock says so.
      const last = pause >= left;
      const bounded = last ? left : pause;
      options.onRetry?.(error, attempt, bounded);
      await new Promise((resolve) => setTimeout(resolve, bounded));
      if (last || Date.now() >= deadline) throw error;
      backoff *= 2;
    }
  }
}
