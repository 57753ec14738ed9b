/**
 * The seam between the source and one kind of SQL database: how it connects, reads in a read-only transaction,
 * names types, quotes names and writes the few expressions that differ between databases. PostgreSQL implements
 * it (postgres.ts); MySQL would quote with backticks, number its parameters `?`, read in `START TRANSACTION READ
 * ONLY` with `max_execution_time`, and hold lists in JSON columns instead of arrays.
 */

/** What a column holds, as far as a source cares; `other` is anything a profile cannot hold (json, bytea…). */
export type ColumnKind = 'text' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'naiveTimestamp' | 'date' | 'uuid' | 'other';

export interface ColumnType {
  kind: ColumnKind;
  /** A list of values of `kind` (PostgreSQL arrays). */
  array: boolean;
  /** The type as the database names it, for messages and casts. */
  name: string;
}

export interface ResultColumn {
  name: string;
  type: ColumnType;
}

/** Statements of one read-only transaction. */
export interface SqlReader {
  /** Rows as arrays of values, in the order of the select list. */
  rows(sql: string, params: readonly unknown[]): Promise<unknown[][]>;
  /** The columns a query returns (run with no rows). */
  columns(sql: string, params: readonly unknown[]): Promise<ResultColumn[]>;
}

export interface SqlDatabase {
  /** Runs `work` in a read-only transaction in which every statement stops after `timeoutMs`. */
  read<T>(timeoutMs: number, work: (reader: SqlReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlDialect {
  /** The `engine` a connection's database names (`postgresql`). */
  engine: string;
  /** The URL schemes it connects to, for messages. */
  schemes: readonly string[];
  /** Connects lazily; errors never carry the URL or its password. */
  open(url: string): SqlDatabase;
  quote(name: string): string;
  /** The placeholder of the 1-based parameter `index`. */
  param(index: number): string;
  /** Reads the column so that the driver returns what a profile holds (dates as text, naive timestamps as UTC). */
  read(expression: string, type: ColumnType): string;
  /** `expression` equals one of the values of the list parameter `param`, cast to `type`. */
  inList(expression: string, param: string, type: ColumnType): string;
  /** The array `expression` holds the value `param`. */
  arrayHolds(expression: string, param: string): string;
  /** The text `expression` holds the text `param` (not a pattern). */
  textHolds(expression: string, param: string): string;
  startsWith(expression: string, param: string): string;
  /** The email as an identifier key: trimmed and lowercased. */
  emailKey(expression: string): string;
}
