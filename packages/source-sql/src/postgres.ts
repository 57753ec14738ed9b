import type pg from 'pg';
import type { ColumnKind, ColumnType, ResultColumn, SqlDatabase, SqlDialect, SqlReader } from './dialect.js';

const INTEGERS = new Set(['int2', 'int4', 'int8']);
const NUMBERS = new Set(['float4', 'float8', 'numeric']);

/** A PostgreSQL type as the source reads it, from `pg_type`'s name and category (S: string types, citext included). */
function kindOf(name: string, category: string): ColumnKind {
  if (category === 'S') return 'text';
  if (INTEGERS.has(name)) return 'integer';
  if (NUMBERS.has(name)) return 'number';
  if (name === 'bool') return 'boolean';
  if (name === 'timestamptz') return 'timestamp';
  if (name === 'timestamp') return 'naiveTimestamp';
  if (name === 'date') return 'date';
  if (name === 'uuid') return 'uuid';
  return 'other';
}

interface TypeRow {
  oid: number;
  name: string;
  category: string;
  element: string | null;
  element_category: string | null;
}

/** Types by OID, read once per database from `pg_type`. */
class TypeNames {
  private readonly known = new Map<number, ColumnType>();

  async of(client: pg.PoolClient, oids: number[]): Promise<Map<number, ColumnType>> {
    const missing = [...new Set(oids)].filter((oid) => !this.known.has(oid));
    if (missing.length > 0) {
      const { rows } = await client.query<TypeRow>(
        `SELECT t.oid::int AS oid, t.typname AS name, t.typcategory AS category, e.typname AS element, e.typcategory AS element_category
           FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem
          WHERE t.oid = ANY($1::oid[])`,
        [missing],
      );
      for (const row of rows) {
        const type: ColumnType =
          row.element !== null && row.element_category !== null
            ? { kind: kindOf(row.element, row.element_category), array: true, name: `${row.element}[]` }
            : { kind: kindOf(row.name, row.category), array: false, name: row.name };
        this.known.set(row.oid, type);
      }
    }
    return new Map(oids.map((oid) => [oid, this.known.get(oid) ?? { kind: 'other', array: false, name: `type ${oid}` }]));
  }
}

/** Removes every form of the URL and its password from a driver message. */
function scrubber(url: string): (text: string) => string {
  const secrets = [url];
  try {
    const { password } = new URL(url);
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL the WHATWG parser reads: the driver will say so, and only the whole URL is scrubbed.
  }
  const sorted = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((clean, secret) => clean.split(secret).join('***'), text);
}

/** An error whose message was scrubbed of the URL; the driver's fields (code, position) are kept. */
export class SqlError extends Error {
  readonly code?: string;
  readonly position?: number;

  constructor(cause: unknown, scrub: (text: string) => string) {
    const error = cause as { message?: string; code?: string; position?: string };
    super(scrub(error?.message ?? String(cause)));
    this.name = 'SqlError';
    this.code = error?.code;
    this.position = error?.position !== undefined ? Number(error.position) : undefined;
  }
}

class PostgresDatabase implements SqlDatabase {
  /** Opened at the first read: the driver is loaded only by runs that read a SQL source. */
  private pool?: Promise<pg.Pool>;
  private readonly types = new TypeNames();
  private readonly scrub: (text: string) => string;

  constructor(private readonly url: string) {
    this.scrub = scrubber(url);
  }

  async read<T>(timeoutMs: number, work: (reader: SqlReader) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch (error) {
      throw new SqlError(error, this.scrub);
    }
    let broken = false;
    try {
      await client.query('BEGIN TRANSACTION READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
      const reader: SqlReader = {
        rows: async (sql, params) => (await client.query({ text: sql, values: [...params], rowMode: 'array' })).rows as unknown[][],
        columns: async (sql, params) => {
          const { fields } = await client.query({ text: sql, values: [...params], rowMode: 'array' });
          const types = await this.types.of(client, fields.map((field) => field.dataTypeID));
          return fields.map((field): ResultColumn => ({ name: field.name, type: types.get(field.dataTypeID)! }));
        },
      };
      const result = await work(reader);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error instanceof SqlError ? error : new SqlError(error, this.scrub);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await (await this.pool)?.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    this.pool ??= openPool(this.url);
    return (await this.pool).connect();
  }
}

async function openPool(url: string): Promise<pg.Pool> {
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({ connectionString: url, max: 4, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 15_000, application_name: 'cdp-connect source' });
  // An idle connection the server closes must not end the process; the next read reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** PostgreSQL (9.6 and later), over the `pg` driver. */
export const postgresDialect: SqlDialect = {
  engine: 'postgresql',
  schemes: ['postgres:', 'postgresql:'],
  open: (url) => new PostgresDatabase(url),
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
  param: (index) => `$${index}`,
  read(expression, type) {
    if (type.array) return expression;
    if (type.kind === 'date') return `${expression}::text`;
    // pg reads a timestamp without time zone in the process's zone; the source reads it as UTC.
    if (type.kind === 'naiveTimestamp') return `(${expression} AT TIME ZONE 'UTC')`;
    return expression;
  },
  inList: (expression, param, type) => `${expression} = ANY(${param}::${postgresDialect.quote(type.name)}[])`,
  arrayHolds: (expression, param) => `${param} = ANY(${expression})`,
  textHolds: (expression, param) => `strpos(${expression}, ${param}) > 0`,
  startsWith: (expression, param) => `left(${expression}, length(${param})) = ${param}`,
  emailKey: (expression) => `lower(btrim(${expression}))`,
};
