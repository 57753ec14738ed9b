import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { ident, inTransaction, literal } from './sql.js';

/** Table names of the connection state; exported so docs, tools and tests name them one way. */
export const STATE_TABLES = {
  watermarks: 'connection_watermarks',
  sent: 'connection_sent',
  checkpoints: 'connection_checkpoints',
  runs: 'connection_runs',
  exchanged: 'connection_exchanged',
  touchpoints: 'profile_touchpoints',
  slots: 'schedule_slots',
  locks: 'connection_locks',
} as const;

/**
 * Applies schema statements, each idempotent (`IF NOT EXISTS`), in one transaction under an advisory lock: two
 * processes starting at once would otherwise race on creating the same table and one would fail.
 */
export async function migrate(pool: Pool, statements: string[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('cdp-store-schema'))");
    for (const statement of statements) await client.query(statement);
  });
}

/** An index name within PostgreSQL's 63 bytes: long property names are shortened to a hash, never truncated into another. */
function indexName(table: string, kind: string, property: string): string {
  const name = `${table}_${kind}_${property}`;
  return Buffer.byteLength(name) <= 63 ? name : `${table.slice(0, 20)}_${kind}_${createHash('sha256').update(property).digest('hex').slice(0, 16)}`;
}

export function profileSchema(table: string, identifiers: readonly string[]): string[] {
  const t = ident(table);
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
      id text PRIMARY KEY,
      properties jsonb NOT NULL DEFAULT '{}',
      segments text[] NOT NULL DEFAULT '{}',
      lifecycles jsonb NOT NULL DEFAULT '[]',
      viewed_interactions text[] NOT NULL DEFAULT '{}',
      permission_level text,
      consent_objectives text[] NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL,
      source_versions jsonb,
      source_sums jsonb,
      identifier_keys jsonb NOT NULL DEFAULT '{}'
    )`,
    ...ginIndex(`${table}_segments`, t, 'segments'),
    `CREATE INDEX IF NOT EXISTS ${ident(`${table}_changed`)} ON ${t} (updated_at, id)`,
    // Per identifier: its keys (case-folded) and its values as stored, each a GIN index answering `?` (has key).
    ...identifiers.flatMap((name) => [
      ...ginIndex(indexName(table, 'identifier_key', name), t, `(identifier_keys -> ${literal(name)})`),
      ...ginIndex(indexName(table, 'identifier', name), t, `(properties -> ${literal(name)})`),
    ]),
  ];
}

/**
 * A GIN index without its pending list (also on an index made before): with `fastupdate`, rows written since the
 * last vacuum sit in a list every search reads whole, so during an import each lookup cost grew with the rows
 * imported so far (measured: 1.1 ms and 91 buffers per key at 20,000 profiles, against 0.01 ms without).
 */
function ginIndex(name: string, table: string, expression: string): string[] {
  return [`CREATE INDEX IF NOT EXISTS ${ident(name)} ON ${table} USING gin (${expression}) WITH (fastupdate = off)`, `ALTER INDEX ${ident(name)} SET (fastupdate = off)`];
}

/** Deletions are kept this long; the feed then answers only for spans after the newest one pruned. */
const DELETION_RETENTION = '90 days';

/**
 * The deletion feed stamps with the server's clock, a run's `since` comes from the store's: a read reaches this
 * far before `since`, and a start the server stamps counts from this far after it, for the skew between the two
 * and for deleting transactions that commit a while after their stamp.
 */
export const DELETION_CLOCK_MARGIN_MS = 10 * 60_000;

/**
 * The deletion feed of a profile table, for hosts that delete rows themselves: a statement trigger writes every
 * deleted id with the server's time into `<table>_deletions`, and `<table>_deletion_feed` holds since when that
 * record is complete: `startedAt` (the store's clock, read before the trigger exists) when the trigger is first
 * created, moved on by pruning and by a TRUNCATE (which fires no delete trigger).
 */
export function deletionFeedSchema(table: string, startedAt: Date): string[] {
  const t = ident(table);
  const deletions = ident(`${table}_deletions`);
  const feed = ident(`${table}_deletion_feed`);
  const record = ident(`${table}_record_deletions`);
  const restart = ident(`${table}_restart_deletion_feed`);
  const margin = `interval '${DELETION_CLOCK_MARGIN_MS} milliseconds'`;
  return [
    `CREATE TABLE IF NOT EXISTS ${deletions} (id text NOT NULL, deleted_at timestamptz NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${ident(`${table}_deletions_at`)} ON ${deletions} (deleted_at)`,
    `CREATE TABLE IF NOT EXISTS ${feed} (one boolean PRIMARY KEY DEFAULT true CHECK (one), complete_since timestamptz NOT NULL)`,
    `CREATE OR REPLACE FUNCTION ${record}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO ${deletions} (id, deleted_at) SELECT id, clock_timestamp() FROM deleted_rows; RETURN NULL; END $$`,
    `CREATE OR REPLACE FUNCTION ${restart}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      UPDATE ${feed} SET complete_since = clock_timestamp() + ${margin}; RETURN NULL; END $$`,
    // A feed without its trigger (a first start, or one dropped meanwhile) starts afresh.
    `DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ${literal(t)}::regclass AND tgname = 'record_deletions') THEN
        CREATE TRIGGER record_deletions AFTER DELETE ON ${t} REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION ${record}();
        DELETE FROM ${feed};
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ${literal(t)}::regclass AND tgname = 'restart_deletion_feed') THEN
        CREATE TRIGGER restart_deletion_feed AFTER TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${restart}();
        DELETE FROM ${feed};
      END IF;
    END $$`,
    `INSERT INTO ${feed} (complete_since) VALUES (${literal(startedAt.toISOString())}::timestamptz) ON CONFLICT DO NOTHING`,
    pruneDeletionsSql(table),
  ];
}

/**
 * Drops deletions past their retention and moves the feed's start past the newest one dropped; with none to drop it
 * writes nothing (it runs on every read of the feed).
 */
export function pruneDeletionsSql(table: string): string {
  const margin = `interval '${DELETION_CLOCK_MARGIN_MS} milliseconds'`;
  return `WITH pruned AS (DELETE FROM ${ident(`${table}_deletions`)} WHERE deleted_at < clock_timestamp() - interval '${DELETION_RETENTION}' RETURNING deleted_at)
      UPDATE ${ident(`${table}_deletion_feed`)} SET complete_since = GREATEST(complete_since, (SELECT max(deleted_at) + ${margin} FROM pruned))
      WHERE EXISTS (SELECT 1 FROM pruned)`;
}

export const STATE_SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.watermarks} (
    connection_id text NOT NULL, goal_id text NOT NULL, at timestamptz NOT NULL,
    PRIMARY KEY (connection_id, goal_id))`,
  // The key doubles as the index each run walks a goal's records by, in member order.
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.sent} (
    connection_id text NOT NULL, goal_id text NOT NULL, audience_id text NOT NULL, member_id text NOT NULL,
    profile_id text, hash text NOT NULL, payload jsonb, sent_at timestamptz NOT NULL, last_error text,
    in_audience boolean, removed text, retry text, attempts integer,
    PRIMARY KEY (connection_id, goal_id, audience_id, member_id))`,
  // A delta's sweep reads the records of the profiles that changed or were deleted, and those waiting for a retry.
  `CREATE INDEX IF NOT EXISTS connection_sent_profiles ON ${STATE_TABLES.sent} (profile_id)`,
  `CREATE INDEX IF NOT EXISTS connection_sent_retries ON ${STATE_TABLES.sent} (connection_id, goal_id, audience_id, member_id) WHERE retry IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.checkpoints} (
    connection_id text NOT NULL, goal_id text NOT NULL, checkpoint jsonb NOT NULL,
    PRIMARY KEY (connection_id, goal_id))`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.runs} (
    run_id text PRIMARY KEY, connection_id text NOT NULL, started_at timestamptz NOT NULL, report jsonb NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS connection_runs_newest ON ${STATE_TABLES.runs} (connection_id, started_at DESC, run_id DESC)`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.exchanged} (
    connection_id text NOT NULL, direction text NOT NULL, profile_id text NOT NULL,
    PRIMARY KEY (connection_id, direction, profile_id))`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.touchpoints} (
    profile_id text NOT NULL, lifecycle text NOT NULL, stage text NOT NULL, period text NOT NULL, count double precision NOT NULL,
    PRIMARY KEY (profile_id, lifecycle, stage, period))`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.slots} (
    connection_id text NOT NULL, slot timestamptz NOT NULL, claimed_at timestamptz NOT NULL,
    PRIMARY KEY (connection_id, slot))`,
  `CREATE INDEX IF NOT EXISTS schedule_slots_claimed ON ${STATE_TABLES.slots} (claimed_at)`,
  `CREATE TABLE IF NOT EXISTS ${STATE_TABLES.locks} (
    connection_id text PRIMARY KEY, owner text NOT NULL, since timestamptz NOT NULL, expires_at timestamptz NOT NULL)`,
];
