import type { FaultConfig } from '@cdp/mailchimp-sandbox';
// The sandbox's own fault sequence, replayed: the same seed draws the same faults in the same order.
import { FaultInjector, type Fault } from '../../../packages/mailchimp-sandbox/src/faults.js';

export type FaultCounts = Record<Exclude<Fault, 'none'>, number>;

/** The faults the sandbox injected into its first `requests` requests under `config`. */
export function faultsDrawn(config: FaultConfig, requests: number): FaultCounts {
  const injector = new FaultInjector(config);
  const counts: FaultCounts = { '429': 0, '500': 0, '503': 0, reset: 0, slow: 0 };
  for (let i = 0; i < requests; i++) {
    const fault = injector.next();
    if (fault !== 'none') counts[fault]++;
  }
  return counts;
}

export function totalFaults(counts: FaultCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * A seed whose first draw is clean. A run's first request is the connectivity check, made before any goal
 * starts; keeping it clean puts every retry inside a goal's count, so the report can be checked exactly.
 */
export function withCleanFirstRequest(config: Omit<FaultConfig, 'seed'>): FaultConfig {
  for (let seed = 1; ; seed++) {
    if (new FaultInjector({ ...config, seed }).next() === 'none') return { ...config, seed };
  }
}
