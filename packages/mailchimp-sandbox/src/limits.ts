import type { SandboxCounters } from './types.js';

/** In-flight requests per API key; Mailchimp refuses the 11th simultaneous one. */
export class ConnectionLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly maxPerKey: number,
    private readonly counters: CallCounters,
  ) {}

  /** Takes a slot, or returns undefined when the key is at its limit. The returned function frees it once. */
  acquire(apiKey: string): (() => void) | undefined {
    const current = this.inFlight.get(apiKey) ?? 0;
    if (current >= this.maxPerKey) return undefined;
    this.inFlight.set(apiKey, current + 1);
    this.counters.inFlight(current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(apiKey) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(apiKey);
      else this.inFlight.set(apiKey, left);
    };
  }
}

/** Per-route call counters for tests and benchmarks. */
export class CallCounters {
  private counters: SandboxCounters = CallCounters.empty();
  private connections = new WeakSet<object>();

  private static empty(): SandboxCounters {
    return { total: 0, byRoute: {}, writes: 0, peakInFlight: 0, connections: 0 };
  }

  /** `connection`: the socket the request came on, counted the first time it carries one. */
  record(method: string, route: string, connection: object): void {
    const key = `${method} /3.0${route}`;
    if (!this.connections.has(connection)) {
      this.connections.add(connection);
      this.counters.connections += 1;
    }
    this.counters.total += 1;
    this.counters.byRoute[key] = (this.counters.byRoute[key] ?? 0) + 1;
    if (method !== 'GET') this.counters.writes += 1;
  }

  inFlight(count: number): void {
    this.counters.peakInFlight = Math.max(this.counters.peakInFlight, count);
  }

  snapshot(): SandboxCounters {
    return { ...this.counters, byRoute: { ...this.counters.byRoute } };
  }

  reset(): void {
    this.counters = CallCounters.empty();
    this.connections = new WeakSet();
  }
}
