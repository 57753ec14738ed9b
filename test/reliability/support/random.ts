import fc from 'fast-check';

/** `count` integers in [min, max], the same ones for the same seed. */
export function seededIntegers(seed: number, count: number, min: number, max: number): number[] {
  return fc.sample(fc.integer({ min, max }), { seed, numRuns: count });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
