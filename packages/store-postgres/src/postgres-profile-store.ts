import {
  assertFieldName,
  CdpError,
  identifierKey,
  inBatches,
  patchProfile,
  systemClock,
  type Clock,
  type PatchResult,
  type Profile,
  type ProfilePatch,
  type ProfileStore,
  type SegmentQuery,
  validatePatch,
} from '@cdp/sdk';
import type { Pool, PoolClient } from 'pg';
import { PROFILE_COLUMNS, toProfile, toRow, type ProfileRow, type StoredProfile } from './profile-row.js';
import { DELETION_CLOCK_MARGIN_MS, deletionFeedSchema, migrate, profileSchema, pruneDeletionsSql } from './schema.js';
import { batchesOf, ident, inTransaction, isTransient, isUniqueViolation, literal } from './sql.js';

export interface PostgresProfileStoreOptions {
  /** Properties that identify a profile (e.g. `email`); each gets an index. */
  uniqueIdentifiers: string[];
  clock?: Clock;
  /** Defaults to `profiles`. */
  table?: string;
  /** Profiles per multi-row write and per locked read of a patch batch. */
  writeBatchSize?: number;
}

const DEFAULT_STREAM_BATCH = 500;
const DEFAULT_WRITE_BATCH = 500;
/** New profiles per INSERT: small enough that building the next slice overlaps the server inserting this one. */
const INSERT_SLICE = 125;
/** Attempts of a patch batch that keeps losing races (deadlocks, profiles created meanwhile) before giving up. */
const MAX_PATCH_ATTEMPTS = 25;

const COLUMN_LIST = PROFILE_COLUMNS.map(([name]) => name).join(', ');
const RECORD_TYPE = PROFILE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
/** What reads fetch: every column a profile is made of; `identifier_keys` only serves the identifier index. */
const PROFILE_READ = PROFILE_COLUMNS.filter(([name]) => name !== 'identifier_keys').map(([name]) => name).join(', ');

/** Thrown inside a patch transaction when a profile it planned to create was created by another writer first. */
class CreatedMeanwhile extends Error {}

/** Profiles in a PostgreSQL table, one row per profile keyed by its id. */
export class PostgresProfileStore implements ProfileStore {
  private readonly table: string;
  private readonly deletions: string;
  private readonly deletionFeed: string;
  private readonly clock: Clock;
  private readonly writeBatchSize: number;
  /**
   * Writes rows as one multi-row statement from a JSON array (`$1`): inserts new ids, and replaces existing ones
   * only when `$2` is null or lists them. The stored import bookkeeping stays unless the row carries its own.
   */
  private readonly writeSql: string;
  /** Inserts rows from a JSON array (`$1`); fails whole on an id another row holds. */
  private readonly insertSql: string;
  /** Inserts rows from a JSON array (`$1`) whose ids are still absent; returns the ids it inserted. */
  private readonly insertAbsentSql: string;
  private readonly pruneDeletionsSql: string;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresProfileStoreOptions,
  ) {
    const table = options.table ?? 'profiles';
    this.table = ident(table);
    this.deletions = ident(`${table}_deletions`);
    this.deletionFeed = ident(`${table}_deletion_feed`);
    this.pruneDeletionsSql = pruneDeletionsSql(table);
    this.clock = options.clock ?? systemClock;
    this.writeBatchSize = options.writeBatchSize ?? DEFAULT_WRITE_BATCH;
    if (!Number.isInteger(this.writeBatchSize) || this.writeBatchSize < 1) {
      throw new RangeError(`writeBatchSize must be a positive integer, got ${this.writeBatchSize}`);
    }
    const replaced = PROFILE_COLUMNS.filter(([name]) => name !== 'id').map(([name]) =>
      name === 'source_versions' || name === 'source_sums' ? `${name} = COALESCE(EXCLUDED.${name}, p.${name})` : `${name} = EXCLUDED.${name}`,
    );
    this.writeSql =
      `INSERT INTO ${this.table} AS p (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_TYPE}) ` +
      `ON CONFLICT (id) DO UPDATE SET ${replaced.join(', ')} WHERE $2::text[] IS NULL OR p.id = ANY($2::text[]) RETURNING p.id`;
    this.insertSql = `INSERT INTO ${this.table} AS p (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM jsonb_to_recordset($1::jsonb) AS r(${RECORD_TYPE})`;
    this.insertAbsentSql = `${this.insertSql} ON CONFLICT (id) DO NOTHING RETURNING p.id`;
  }

  /**
   * Creates the table, its indexes and its deletion feed when missing, and prunes old deletions; safe on every start
   * and from several processes at once.
   */
  async init(): Promise<void> {
    const table = this.options.table ?? 'profiles';
    await migrate(this.pool, [...profileSchema(table, this.options.uniqueIdentifiers), ...deletionFeedSchema(table, this.clock.now())]);
  }

  streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    const batchSize = query.batchSize ?? DEFAULT_STREAM_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const changed = query.changedSince ? 'AND updated_at > $2' : '';
    const values = query.changedSince ? [query.segment, query.changedSince] : [query.segment];
    return batchesOf(this.pool, `SELECT ${PROFILE_READ} FROM ${this.table} WHERE segments @> ARRAY[$1::text] ${changed} ORDER BY updated_at, id`, values, batchSize, toProfile);
  }

  async findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    assertFieldName(property, 'Property name');
    if (values.length === 0) return [];
    if (!this.options.uniqueIdentifiers.includes(property)) {
      throw new CdpError('not_an_identifier', `${property} is not a unique identifier of this profile store (configured: ${this.options.uniqueIdentifiers.join(', ')})`);
    }
    const keys = [...new Set(values.map(identifierKey))];
    // The property is spelt out, not bound, so the expressions match the indexes `init` made. One index probe per
    // value: PostgreSQL plans `?| <array>` as a scan of the whole table, each row compared with every value.
    const name = literal(property);
    const matching = (column: string, param: string) =>
      `SELECT q.id FROM unnest(${param}::text[]) AS v(value) JOIN ${this.table} q ON (q.${column} -> ${name}) ? v.value`;
    const { rows } = await this.pool.query<StoredProfile>(
      `SELECT ${PROFILE_READ} FROM ${this.table} WHERE id = ANY(ARRAY(${matching('identifier_keys', '$1')} UNION ${matching('properties', '$2')}))`,
      [keys, [...new Set([...values, ...keys])]],
    );
    return rows.map(toProfile);
  }

  async findById(ids: string[]): Promise<Profile[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<StoredProfile>(`SELECT ${PROFILE_READ} FROM ${this.table} WHERE id = ANY($1::text[])`, [ids]);
    return rows.map(toProfile);
  }

  async changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; changed: boolean }>(
      `SELECT id, updated_at > $2 AS changed FROM ${this.table} WHERE id = ANY($1::text[])`,
      [ids, since],
    );
    return new Map(rows.map((row) => [row.id, row.changed]));
  }

  changedIdsSince(since: Date, batchSize: number): AsyncIterable<string[]> {
    return batchesOf(this.pool, `SELECT id FROM ${this.table} WHERE updated_at > $1 ORDER BY updated_at, id`, [since], batchSize, (row: { id: string }) => row.id);
  }

  /**
   * From the deletion feed the table's trigger writes, whoever deleted the rows: undefined when `since` is before the
   * feed's start, otherwise every id stamped after `since` less the clock margin. Deletions are kept 90 days.
   */
  async deletedSince(since: Date): Promise<string[] | undefined> {
    // Pruned on every read too, not only when a process opens the store: a scheduler worker runs for months.
    await this.pool.query(this.pruneDeletionsSql);
    const from = new Date(since.getTime() - DELETION_CLOCK_MARGIN_MS);
    // One statement, so one snapshot: a prune by another process between two reads could drop deletions the feed
    // read before it still claimed.
    const { rows } = await this.pool.query<{ complete_since: Date; ids: string[] }>(
      `SELECT complete_since, ARRAY(SELECT DISTINCT id FROM ${this.deletions} WHERE deleted_at > $1) AS ids FROM ${this.deletionFeed}`,
      [from],
    );
    return rows.length === 0 || rows[0].complete_since > since ? undefined : rows[0].ids;
  }

  /**
   * Validates every patch first (a bad one throws before anything is written). The patches that create their profile,
   * the only ones for their ids, are inserted without a read or a lock (see `createAbsent`); the others go in batches,
   * each in one transaction: its profiles read and locked, patched with the reference semantics, written in one
   * statement.
   */
  async applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]> {
    patches.forEach(validatePatch);
    const created = await this.createAbsent(patches);
    const patched = await inBatches(
      patches.filter((patch) => !created.has(patch)),
      this.writeBatchSize,
      (batch) => this.patchUnderLock(batch),
    );
    let next = 0;
    return patches.map((patch) => (created.has(patch) ? { profileId: patch.profileId, outcome: 'created' } : patched[next++]));
  }

  /**
   * Replaces each profile's fields, but keeps the stored import bookkeeping (`sourceVersions`, `sourceSums`)
   * unless the profile given carries its own: a CDP rewriting its profiles must not make imports count again.
   */
  async upsertProfiles(profiles: Profile[]): Promise<void> {
    const rows = profiles.map((profile) => toRow(profile, this.options.uniqueIdentifiers));
    for (let start = 0; start < rows.length; start += this.writeBatchSize) {
      await this.pool.query(this.writeSql, [JSON.stringify(lastOfEachId(rows.slice(start, start + this.writeBatchSize))), null]);
    }
  }

  async count(query: { segment?: string } = {}): Promise<number> {
    const { rows } =
      query.segment === undefined
        ? await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table}`)
        : await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table} WHERE segments @> ARRAY[$1::text]`, [query.segment]);
    return rows[0].n;
  }

  /**
   * Patches that create profiles (a first import) need neither a read nor a lock: each patch that creates its
   * profile, the only one given for that id, is inserted if the id is still absent. Ids another writer holds
   * already are left to the locked path, like every other patch.
   */
  private async createAbsent(patches: ProfilePatch[]): Promise<Set<ProfilePatch>> {
    const perId = new Map<string, number>();
    for (const { profileId } of patches) perId.set(profileId, (perId.get(profileId) ?? 0) + 1);
    const byId = new Map(patches.filter((patch) => patch.createWith && perId.get(patch.profileId) === 1).map((patch) => [patch.profileId, patch]));
    if (byId.size === 0) return new Set();
    const now = this.clock.now();
    const rowsOf = (ids: string[]): string => JSON.stringify(ids.map((id) => toRow(patchProfile(undefined, byId.get(id)!, now).next!, this.options.uniqueIdentifiers)));
    // In id order, so that writers inserting overlapping ids wait on each other in one order.
    const ids = [...byId.keys()].sort();
    // Building rows costs this process about what inserting them costs the server: one connection takes the rows a
    // slice at a time, and each slice is built while the server inserts the one before.
    const client = await this.pool.connect();
    const sent: Promise<string[]>[] = [];
    try {
      const size = Math.min(INSERT_SLICE, this.writeBatchSize);
      for (let start = 0; start < ids.length; start += size) {
        const slice = ids.slice(start, start + size);
        const inserting = this.insertAbsent(client, slice, rowsOf(slice));
        // Awaited in turn below; it may fail while an earlier slice is still awaited, which must not count as unhandled.
        inserting.catch(() => undefined);
        sent.push(inserting);
        // The connection sends this slice once the statements queued before it are done.
        if (sent.length > 1) await sent[sent.length - 2];
      }
      return new Set((await Promise.all(sent)).flat().map((id) => byId.get(id)!));
    } finally {
      // The connection goes back only once every slice sent is done, a failed one included.
      await Promise.allSettled(sent);
      client.release();
    }
  }

  /**
   * Inserts rows whose ids are usually all absent (a first import), returning the ids inserted. A plain INSERT costs
   * the server about a tenth less than one that checks each row for a conflict and returns the ids; when another
   * writer holds one of them it fails whole, and the rows go again, each inserted only if still absent.
   */
  private async insertAbsent(client: PoolClient, ids: string[], rows: string): Promise<string[]> {
    try {
      await client.query(this.insertSql, [rows]);
      return ids;
    } catch (error) {
      if (!isUniqueViolation(error) && !isTransient(error)) throw error;
    }
    const inserted = await this.withRetries(ids.length, async () => (await client.query<{ id: string }>(this.insertAbsentSql, [rows])).rows);
    return inserted.map(({ id }) => id);
  }

  private patchUnderLock(patches: ProfilePatch[]): Promise<PatchResult[]> {
    return this.withRetries(patches.length, () => inTransaction(this.pool, (client) => this.patchLocked(client, patches)));
  }

  /** Runs `write` again while it collides with other writers (a transient error, a profile created meanwhile). */
  private async withRetries<T>(patchCount: number, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; attempt <= MAX_PATCH_ATTEMPTS; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof CreatedMeanwhile) && !isTransient(error)) throw error;
      }
    }
    throw new CdpError('write_conflict', `A batch of ${patchCount} patches kept colliding with other writers; gave up after ${MAX_PATCH_ATTEMPTS} attempts`);
  }

  /**
   * Locks the batch's existing profiles (in id order, so two writers never wait on each other in a cycle), applies
   * the patches to them in order, and writes what changed. Profiles the batch creates are inserted only if still
   * absent: one created by another writer meanwhile fails the attempt, and the next attempt locks and patches it.
   */
  private async patchLocked(client: PoolClient, patches: ProfilePatch[]): Promise<PatchResult[]> {
    const now = this.clock.now();
    const ids = [...new Set(patches.map((patch) => patch.profileId))].sort();
    const { rows } = await client.query<StoredProfile>(`SELECT ${PROFILE_READ} FROM ${this.table} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
    const locked = rows.map((row) => row.id);
    const current = new Map(rows.map((row) => [row.id, toProfile(row)]));
    const staged = new Map<string, Profile>();
    const results = patches.map((patch): PatchResult => {
      const { outcome, next } = patchProfile(staged.get(patch.profileId) ?? current.get(patch.profileId), patch, now);
      if (next) staged.set(patch.profileId, next);
      return { profileId: patch.profileId, outcome };
    });
    if (staged.size > 0) {
      const written = await client.query(this.writeSql, [JSON.stringify([...staged.values()].map((profile) => toRow(profile, this.options.uniqueIdentifiers))), locked]);
      if (written.rowCount !== staged.size) throw new CreatedMeanwhile();
    }
    return results;
  }
}

/** One row per id, the last given winning, as if written one after the other (one statement may not touch a row twice). */
function lastOfEachId(rows: ProfileRow[]): ProfileRow[] {
  const byId = new Map<string, ProfileRow>();
  for (const row of rows) {
    const earlier = byId.get(row.id);
    byId.delete(row.id);
    byId.set(row.id, { ...row, source_versions: row.source_versions ?? earlier?.source_versions ?? null, source_sums: row.source_sums ?? earlier?.source_sums ?? null });
  }
  return [...byId.values()];
}
