import type { FaultConfig } from './types.js';

export type Fault = 'none' | 'reset' | '429' | '500' | '503' | 'slow';

export const DEFAULT_SLOW_MS = 125_000;
const RATE_KEYS = ['rateReset', 'rate429', 'rate500', 'rate503', 'rateSlow'] as const;
const FAULT_BY_RATE: Record<(typeof RATE_KEYS)[number], Fault> = {
  rateReset: 'reset', rate429: '429', rate500: '500', rate503: '503', rateSlow: 'slow',
};

/** mulberry32: a small seeded PRNG, so a fault sequence repeats exactly under the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function validateFaults(config: FaultConfig): void {
  const problems: string[] = [];
  for (const key of RATE_KEYS) {
    const rate = config[key];
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) problems.push(`${key} must be a number from 0 to 1`);
  }
  for (const key of ['latencyMs', 'slowMs', 'retryAfterSeconds', 'seed'] as const) {
    const value = config[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) problems.push(`${key} must be a non-negative number`);
  }
  const total = RATE_KEYS.reduce((sum, key) => sum + (config[key] ?? 0), 0);
  if (total > 1) problems.push(`the fault rates add up to ${total}, more than 1`);
  if (problems.length > 0) throw new Error(`Invalid fault configuration: ${problems.join('; ')}`);
}

/** Decides, request by request, which fault (if any) to inject. */
export class FaultInjector {
  private config: FaultConfig = {};
  private random: () => number = Math.random;

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  /** Replaces the configuration; a seed restarts the deterministic sequence. */
  set(config: FaultConfig): void {
    validateFaults(config);
    this.config = { ...config };
    this.random = config.seed === undefined ? Math.random : seededRandom(config.seed);
  }

  get(): FaultConfig {
    return { ...this.config };
  }

  get latencyMs(): number {
    return this.config.latencyMs ?? 0;
  }

  get slowMs(): number {
    return this.config.slowMs ?? DEFAULT_SLOW_MS;
  }

  get retryAfterSeconds(): number {
    return this.config.retryAfterSeconds ?? 1;
  }

  get echoCredentials(): boolean {
    return this.config.echoCredentials === true;
  }

  next(): Fault {
    if (RATE_KEYS.every((key) => !this.config[key])) return 'none';
    let draw = this.random();
    for (const key of RATE_KEYS) {
      draw -= this.config[key] ?? 0;
      if (draw < 0) return FAULT_BY_RATE[key];
    }
    return 'none';
  }
}
