import { randomUUID } from 'node:crypto';

/**
 * A name no earlier test used, even in a store that outlives the test run, so contract tests can share one
 * store per file and still count exactly.
 */
export function freshId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
