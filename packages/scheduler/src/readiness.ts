import { messageOf } from './message-of.js';

/** One dependency the worker needs to do its work: throws when it is not usable. Abort `signal` to give up on it. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

export interface CheckResult {
  ok: boolean;
  /** Why the check failed; never a secret (the checks' own errors are redacted where they come from). */
  error?: string;
  checkedAt: Date;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface ReadinessOptions {
  /** How long a check may take before it counts as failed; default 3 seconds. */
  timeoutMs?: number;
  /** How long a result is reused, so that probes every second do not spend an API call each; default 10 seconds. */
  cacheMs?: number;
}

/**
 * The worker's readiness: every named check passes. Results are cached for `cacheMs`, and probes arriving while a
 * check runs share it.
 */
export class Readiness {
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  /** Each check's latest result; `until` is set once it has settled. */
  private readonly latest = new Map<string, { result: Promise<CheckResult>; until?: number }>();

  constructor(
    private readonly checks: Record<string, ReadinessCheck>,
    options: ReadinessOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.cacheMs = options.cacheMs ?? 10_000;
  }

  async report(): Promise<ReadinessReport> {
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => this.result(name)));
    return { ready: results.every((result) => result.ok), checks: Object.fromEntries(names.map((name, i) => [name, results[i]])) };
  }

  private result(name: string): Promise<CheckResult> {
    const cached = this.latest.get(name);
    if (cached && (cached.until === undefined || Date.now() < cached.until)) return cached.result;
    const entry: { result: Promise<CheckResult>; until?: number } = { result: this.run(this.checks[name]) };
    void entry.result.then(() => (entry.until = Date.now() + this.cacheMs));
    this.latest.set(name, entry);
    return entry.result;
  }

  private async run(check: ReadinessCheck): Promise<CheckResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      await Promise.race([check(controller.signal), aborted(controller.signal)]);
      return { ok: true, checkedAt: new Date() };
    } catch (error) {
      return { ok: false, error: messageOf(error), checkedAt: new Date() };
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }
}

/** Rejects with the signal's reason once it is aborted. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}
