import {
  CdpError,
  StoreInputError,
  systemClock,
  touchpointId,
  type Clock,
  type ExchangeDirection,
  type LockAnswer,
  type RunQuery,
  type RunReport,
  type SentRecord,
  type StateStore,
  type TouchpointKey,
} from '@cdp/sdk';
import type { Pool } from 'pg';
import { fromJson, toJson } from './json-codec.js';
import { migrate, STATE_SCHEMA, STATE_TABLES } from './schema.js';
import { batchesOf } from './sql.js';

/** Claimed schedule slots are kept this long, then deleted by a later claim (a slot is never due again). */
const SLOT_RETENTION = '30 days';
/** A refusal needs a live holder; when the holder released or expired between two statements, try again. */
const MAX_ACQUIRE_ATTEMPTS = 5;
const WRITE_BATCH = 500;

const T = STATE_TABLES;

interface SentRow {
  member_id: string;
  profile_id: string | null;
  hash: string;
  payload: unknown;
  sent_at: Date;
  last_error: string | null;
  in_audience: boolean | null;
  removed: SentRecord['removed'] | null;
  retry: SentRecord['retry'] | null;
  attempts: number | null;
}

const SENT_COLUMNS = 'member_id, profile_id, hash, payload, sent_at, last_error, in_audience, removed, retry, attempts';
const SENT_TYPES =
  'member_id text, profile_id text, hash text, payload jsonb, sent_at timestamptz, last_error text, in_audience boolean, removed text, retry text, attempts integer';

/** Connection state in PostgreSQL: one small table per kind, every read a lookup by primary key or index. */
export class PostgresStateStore implements StateStore {
  private readonly clock: Clock;

  constructor(
    private readonly pool: Pool,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Creates the tables and indexes when missing; safe on every start and from several processes at once. */
  async init(): Promise<void> {
    await migrate(this.pool, STATE_SCHEMA);
  }

  async getWatermark(connectionId: string, goalId: string): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ at: Date }>(`SELECT at FROM ${T.watermarks} WHERE connection_id = $1 AND goal_id = $2`, [connectionId, goalId]);
    return rows[0]?.at;
  }

  async setWatermark(connectionId: string, goalId: string, at: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${T.watermarks} (connection_id, goal_id, at) VALUES ($1, $2, $3) ON CONFLICT (connection_id, goal_id) DO UPDATE SET at = EXCLUDED.at`,
      [connectionId, goalId, at],
    );
  }

  async getSent(connectionId: string, goalId: string, audienceId: string, memberIds: string[]): Promise<Map<string, SentRecord>> {
    const found = new Map<string, SentRecord>();
    if (memberIds.length === 0) return found;
    const { rows } = await this.pool.query<SentRow>(
      `SELECT ${SENT_COLUMNS} FROM ${T.sent} WHERE connection_id = $1 AND goal_id = $2 AND audience_id = $3 AND member_id = ANY($4::text[])`,
      [connectionId, goalId, audienceId, memberIds],
    );
    for (const row of rows) found.set(row.member_id, sentRecordOf(row));
    return found;
  }

  streamSent(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    return batchesOf(
      this.pool,
      `SELECT ${SENT_COLUMNS} FROM ${T.sent} WHERE connection_id = $1 AND goal_id = $2 AND audience_id = $3 ORDER BY member_id`,
      [connectionId, goalId, audienceId],
      batchSize,
      sentRecordOf,
    );
  }

  async sentForProfiles(connectionId: string, goalId: string, audienceId: string, profileIds: string[]): Promise<SentRecord[]> {
    if (profileIds.length === 0) return [];
    // The profiles' records first, by their index, then those of this goal: a planner without fresh statistics
    // (after a first run wrote every record) would otherwise read all the goal's records by the key's prefix.
    const { rows } = await this.pool.query<SentRow>(
      `WITH of_profiles AS MATERIALIZED (SELECT * FROM ${T.sent} WHERE profile_id = ANY($4::text[])) ` +
        `SELECT ${SENT_COLUMNS} FROM of_profiles WHERE connection_id = $1 AND goal_id = $2 AND audience_id = $3`,
      [connectionId, goalId, audienceId, profileIds],
    );
    return rows.map(sentRecordOf);
  }

  sentWaitingForRetry(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    return batchesOf(
      this.pool,
      `SELECT ${SENT_COLUMNS} FROM ${T.sent} WHERE connection_id = $1 AND goal_id = $2 AND audience_id = $3 AND retry IS NOT NULL ORDER BY member_id`,
      [connectionId, goalId, audienceId],
      batchSize,
      sentRecordOf,
    );
  }

  async putSent(connectionId: string, goalId: string, audienceId: string, records: SentRecord[]): Promise<void> {
    // One row per member, the last record winning: one statement may not write a row twice.
    const rows = [...new Map(records.map((record) => [record.memberId, sentRowOf(record)])).values()];
    const replaced = SENT_COLUMNS.split(', ').slice(1).map((column) => `${column} = EXCLUDED.${column}`);
    for (let start = 0; start < rows.length; start += WRITE_BATCH) {
      await this.pool.query(
        `INSERT INTO ${T.sent} (connection_id, goal_id, audience_id, ${SENT_COLUMNS}) SELECT $1, $2, $3, ${SENT_COLUMNS} FROM jsonb_to_recordset($4::jsonb) AS r(${SENT_TYPES}) ` +
          `ON CONFLICT (connection_id, goal_id, audience_id, member_id) DO UPDATE SET ${replaced.join(', ')}`,
        [connectionId, goalId, audienceId, JSON.stringify(rows.slice(start, start + WRITE_BATCH))],
      );
    }
  }

  async getCheckpoint<T = unknown>(connectionId: string, goalId: string): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ checkpoint: unknown }>(`SELECT checkpoint FROM ${T.checkpoints} WHERE connection_id = $1 AND goal_id = $2`, [connectionId, goalId]);
    return rows.length > 0 ? fromJson<T>(rows[0].checkpoint) : undefined;
  }

  async putCheckpoint(connectionId: string, goalId: string, checkpoint: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${T.checkpoints} (connection_id, goal_id, checkpoint) VALUES ($1, $2, $3::jsonb) ON CONFLICT (connection_id, goal_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint`,
      [connectionId, goalId, toJson(checkpoint)],
    );
  }

  async clearCheckpoint(connectionId: string, goalId: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${T.checkpoints} WHERE connection_id = $1 AND goal_id = $2`, [connectionId, goalId]);
  }

  async saveRun(report: RunReport): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${T.runs} (run_id, connection_id, started_at, report) VALUES ($1, $2, $3, $4::jsonb) ` +
        'ON CONFLICT (run_id) DO UPDATE SET connection_id = EXCLUDED.connection_id, started_at = EXCLUDED.started_at, report = EXCLUDED.report',
      [report.runId, report.connectionId, report.startedAt, toJson(report)],
    );
  }

  async listRuns(query: RunQuery): Promise<RunReport[]> {
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 0)) {
      throw new RangeError(`limit must be a non-negative integer, got ${query.limit}`);
    }
    const { rows } = await this.pool.query<{ report: unknown }>(
      `SELECT report FROM ${T.runs} WHERE connection_id = $1 AND ($2::timestamptz IS NULL OR started_at >= $2) AND ($3::timestamptz IS NULL OR started_at < $3) ` +
        'ORDER BY started_at DESC, run_id DESC LIMIT $4',
      [query.connectionId, query.since ?? null, query.until ?? null, query.limit ?? null],
    );
    return rows.map((row) => fromJson<RunReport>(row.report));
  }

  async addExchanged(connectionId: string, direction: ExchangeDirection, profileIds: string[]): Promise<void> {
    const ids = [...new Set(profileIds)];
    for (let start = 0; start < ids.length; start += WRITE_BATCH) {
      await this.pool.query(
        `INSERT INTO ${T.exchanged} (connection_id, direction, profile_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`,
        [connectionId, direction, ids.slice(start, start + WRITE_BATCH)],
      );
    }
  }

  async countExchanged(connectionId: string, direction: ExchangeDirection): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${T.exchanged} WHERE connection_id = $1 AND direction = $2`, [connectionId, direction]);
    return rows[0].n;
  }

  async addTouchpoints(entries: { key: TouchpointKey; count: number }[]): Promise<void> {
    const bad = entries.find(({ count }) => !Number.isFinite(count));
    if (bad) throw new StoreInputError(`A touchpoint count must be a finite number, got ${bad.count} for ${touchpointId(bad.key)}`);
    // Counts of one key are added up first: one statement may not write a row twice.
    const totals = new Map<string, { key: TouchpointKey; count: number }>();
    for (const { key, count } of entries) {
      const id = touchpointId(key);
      totals.set(id, { key, count: (totals.get(id)?.count ?? 0) + count });
    }
    const rows = [...totals.values()].map(({ key, count }) => ({ profile_id: key.profileId, lifecycle: key.lifecycle, stage: key.stage, period: key.period, count }));
    for (let start = 0; start < rows.length; start += WRITE_BATCH) {
      await this.pool.query(
        `INSERT INTO ${T.touchpoints} AS t (profile_id, lifecycle, stage, period, count) SELECT * FROM jsonb_to_recordset($1::jsonb) ` +
          'AS r(profile_id text, lifecycle text, stage text, period text, count double precision) ' +
          'ON CONFLICT (profile_id, lifecycle, stage, period) DO UPDATE SET count = t.count + EXCLUDED.count',
        [JSON.stringify(rows.slice(start, start + WRITE_BATCH))],
      );
    }
  }

  async getTouchpoints(keys: TouchpointKey[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (keys.length === 0) return counts;
    const { rows } = await this.pool.query<TouchpointKey & { count: number }>(
      `SELECT t.profile_id AS "profileId", t.lifecycle, t.stage, t.period, t.count FROM ${T.touchpoints} t ` +
        'JOIN jsonb_to_recordset($1::jsonb) AS k("profileId" text, lifecycle text, stage text, period text) ' +
        'ON t.profile_id = k."profileId" AND t.lifecycle = k.lifecycle AND t.stage = k.stage AND t.period = k.period',
      [JSON.stringify(keys)],
    );
    for (const row of rows) counts.set(touchpointId(row), row.count);
    return counts;
  }

  /** The insert of the slot's key succeeds for exactly one caller; the same statement drops slots past retention. */
  async claimScheduledSlot(connectionId: string, slot: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `WITH expired AS (DELETE FROM ${T.slots} WHERE claimed_at < $3::timestamptz - interval '${SLOT_RETENTION}') ` +
        `INSERT INTO ${T.slots} (connection_id, slot, claimed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [connectionId, slot, this.clock.now()],
    );
    return rowCount === 1;
  }

  /**
   * One atomic upsert: inserts the lease when there is none, extends our own (keeping `since`), or takes over an
   * expired one; a live lease of another owner is left alone, and the refusal names it.
   */
  async acquireLock(connectionId: string, owner: string, leaseMs: number): Promise<LockAnswer> {
    const now = this.clock.now();
    for (let attempt = 1; attempt <= MAX_ACQUIRE_ATTEMPTS; attempt++) {
      const { rowCount } = await this.pool.query(
        `INSERT INTO ${T.locks} AS l (connection_id, owner, since, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (connection_id) DO UPDATE ` +
          'SET owner = EXCLUDED.owner, since = CASE WHEN l.owner = EXCLUDED.owner THEN l.since ELSE EXCLUDED.since END, expires_at = EXCLUDED.expires_at ' +
          'WHERE l.owner = EXCLUDED.owner OR l.expires_at <= EXCLUDED.since',
        [connectionId, owner, now, new Date(now.getTime() + leaseMs)],
      );
      if (rowCount === 1) return { acquired: true };
      const { rows } = await this.pool.query<{ owner: string; since: Date; expires_at: Date }>(`SELECT owner, since, expires_at FROM ${T.locks} WHERE connection_id = $1`, [connectionId]);
      const holder = rows[0];
      if (holder && holder.expires_at > now) return { acquired: false, owner: holder.owner, since: holder.since, expiresAt: holder.expires_at };
    }
    throw new CdpError('lock_contention', `The run lock of ${connectionId} changed hands ${MAX_ACQUIRE_ATTEMPTS} times while being acquired`);
  }

  async renewLock(connectionId: string, owner: string, leaseMs: number): Promise<boolean> {
    const expiresAt = new Date(this.clock.now().getTime() + leaseMs);
    const { rowCount } = await this.pool.query(`UPDATE ${T.locks} SET expires_at = $3 WHERE connection_id = $1 AND owner = $2`, [connectionId, owner, expiresAt]);
    return rowCount === 1;
  }

  async releaseLock(connectionId: string, owner: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${T.locks} WHERE connection_id = $1 AND owner = $2`, [connectionId, owner]);
  }
}

/** A record's row: absent optional fields become NULL, and read back as absent. */
function sentRowOf(record: SentRecord): Omit<SentRow, 'sent_at'> & { sent_at: string } {
  return {
    member_id: record.memberId,
    profile_id: record.profileId ?? null,
    hash: record.hash,
    payload: record.payload ?? null,
    sent_at: record.sentAt.toISOString(),
    last_error: record.lastError ?? null,
    in_audience: record.inAudience ?? null,
    removed: record.removed ?? null,
    retry: record.retry ?? null,
    attempts: record.attempts ?? null,
  };
}

function sentRecordOf(row: SentRow): SentRecord {
  const record: SentRecord = { memberId: row.member_id, hash: row.hash, sentAt: row.sent_at };
  if (row.profile_id !== null) record.profileId = row.profile_id;
  if (row.payload !== null) record.payload = row.payload as SentRecord['payload'];
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.in_audience !== null) record.inAudience = row.in_audience;
  if (row.removed !== null) record.removed = row.removed;
  if (row.retry !== null) record.retry = row.retry;
  if (row.attempts !== null) record.attempts = row.attempts;
  return record;
}
