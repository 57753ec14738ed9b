import type { Pool, PoolClient } from 'pg';
import Cursor from 'pg-cursor';

/** A quoted SQL identifier: names come from configuration, never from data, but any character stays inert. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A quoted SQL string literal, for index expressions whose key must be spelt out for the planner to use them. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Runs `work` in one transaction on one pooled connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A row with a key another row holds already (`23505`). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '23505';
}

/** A deadlock or serialization failure: the transaction was rolled back and may simply run again. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/**
 * Reads a query's rows through a server-side cursor, `size` rows per round trip, converted as `convert` makes
 * them: only one batch is ever held, however many rows match. The cursor keeps one pooled connection until done.
 */
export async function* batchesOf<R, T>(pool: Pool, text: string, values: unknown[], size: number, convert: (row: R) => T): AsyncIterable<T[]> {
  const client = await pool.connect();
  const cursor = client.query(new Cursor<R>(text, values));
  try {
    for (;;) {
      const rows = await cursor.read(size);
      if (rows.length === 0) return;
      yield rows.map(convert);
      if (rows.length < size) return;
    }
  } finally {
    await cursor.close();
    client.release();
  }
}
