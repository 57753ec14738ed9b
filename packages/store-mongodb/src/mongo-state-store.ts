import {
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
  StoreInputError,
} from '@cdp/sdk';
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter } from 'mongodb';
import { batchesOf } from './batches.js';
import { insertIfAbsent } from './duplicate-key.js';
import { RunLocks, type LockDocument } from './run-lock.js';

/** Collection names of the connection state; exported so docs, tools and tests name them one way. */
export const STATE_COLLECTIONS = {
  watermarks: 'connection_watermarks',
  sent: 'connection_sent',
  checkpoints: 'connection_checkpoints',
  runs: 'connection_runs',
  exchanged: 'connection_exchanged',
  touchpoints: 'profile_touchpoints',
  slots: 'schedule_slots',
  locks: 'connection_locks',
} as const;

/** Claimed schedule slots are kept this long, then the server deletes them (a slot is never due again). */
const SLOT_RETENTION_SECONDS = 30 * 24 * 3600;
const WRITE_BATCH = 500;

/** One unambiguous `_id` from several parts (ids may contain any separator). */
const keyOf = (...parts: string[]): string => JSON.stringify(parts);

interface WatermarkDocument {
  _id: string;
  connectionId: string;
  goalId: string;
  at: Date;
}
interface SentDocument extends SentRecord {
  _id: string;
  connectionId: string;
  goalId: string;
  audienceId: string;
}
interface CheckpointDocument {
  _id: string;
  connectionId: string;
  goalId: string;
  checkpoint: unknown;
}
interface RunDocument extends RunReport {
  _id: string;
}
interface ExchangedDocument {
  _id: string;
  connectionId: string;
  direction: ExchangeDirection;
  profileId: string;
}
interface TouchpointDocument extends TouchpointKey {
  _id: string;
  count: number;
}
interface SlotDocument {
  _id: string;
  connectionId: string;
  slot: Date;
  claimedAt: Date;
}

/** Connection state in MongoDB: small documents keyed so every read and write is a lookup by `_id` or index. */
export class MongoStateStore implements StateStore {
  private readonly watermarks: Collection<WatermarkDocument>;
  private readonly sent: Collection<SentDocument>;
  private readonly checkpoints: Collection<CheckpointDocument>;
  private readonly runs: Collection<RunDocument>;
  private readonly exchanged: Collection<ExchangedDocument>;
  private readonly touchpoints: Collection<TouchpointDocument>;
  private readonly slots: Collection<SlotDocument>;
  private readonly locks: RunLocks;
  private readonly clock: Clock;

  constructor(db: Db, options: { clock?: Clock } = {}) {
    // Optional fields left undefined (a run's endedAt, a record's lastError) are omitted, not stored as null.
    const collection = <T extends Document>(name: string): Collection<T> => db.collection<T>(name, { ignoreUndefined: true });
    this.watermarks = collection(STATE_COLLECTIONS.watermarks);
    this.sent = collection(STATE_COLLECTIONS.sent);
    this.checkpoints = collection(STATE_COLLECTIONS.checkpoints);
    this.runs = collection(STATE_COLLECTIONS.runs);
    this.exchanged = collection(STATE_COLLECTIONS.exchanged);
    this.touchpoints = collection(STATE_COLLECTIONS.touchpoints);
    this.slots = collection(STATE_COLLECTIONS.slots);
    this.locks = new RunLocks(collection<LockDocument>(STATE_COLLECTIONS.locks));
    this.clock = options.clock ?? systemClock;
  }

  async init(): Promise<void> {
    await this.runs.createIndex({ connectionId: 1, startedAt: -1 }, { name: 'connection_newest' });
    await this.sent.createIndex({ connectionId: 1, goalId: 1, audienceId: 1, memberId: 1 }, { name: 'goal_audience_members' });
    await this.sent.createIndex({ profileId: 1 }, { name: 'profile', sparse: true });
    await this.sent.createIndex({ connectionId: 1, goalId: 1, audienceId: 1, retry: 1 }, { name: 'goal_audience_retries', partialFilterExpression: { retry: { $exists: true } } });
    await this.exchanged.createIndex({ connectionId: 1, direction: 1 }, { name: 'connection_direction' });
    await this.slots.createIndex({ claimedAt: 1 }, { name: 'claimed_expiry', expireAfterSeconds: SLOT_RETENTION_SECONDS });
  }

  async getWatermark(connectionId: string, goalId: string): Promise<Date | undefined> {
    return (await this.watermarks.findOne({ _id: keyOf(connectionId, goalId) }))?.at;
  }

  async setWatermark(connectionId: string, goalId: string, at: Date): Promise<void> {
    await this.watermarks.replaceOne({ _id: keyOf(connectionId, goalId) }, { connectionId, goalId, at }, { upsert: true });
  }

  async getSent(connectionId: string, goalId: string, audienceId: string, memberIds: string[]): Promise<Map<string, SentRecord>> {
    const found = new Map<string, SentRecord>();
    if (memberIds.length === 0) return found;
    const ids = memberIds.map((memberId) => keyOf(connectionId, goalId, audienceId, memberId));
    for await (const document of this.sent.find({ _id: { $in: ids } })) {
      const record = sentRecordOf(document);
      found.set(record.memberId, record);
    }
    return found;
  }

  async *streamSent(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    const cursor = this.sent.find({ connectionId, goalId, audienceId }).sort({ memberId: 1 }).batchSize(batchSize);
    yield* batchesOf(cursor, batchSize, sentRecordOf);
  }

  async sentForProfiles(connectionId: string, goalId: string, audienceId: string, profileIds: string[]): Promise<SentRecord[]> {
    if (profileIds.length === 0) return [];
    return (await this.sent.find({ profileId: { $in: profileIds }, connectionId, goalId, audienceId }).toArray()).map(sentRecordOf);
  }

  async *sentWaitingForRetry(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    const cursor = this.sent.find({ connectionId, goalId, audienceId, retry: { $exists: true } }).sort({ memberId: 1 }).batchSize(batchSize);
    yield* batchesOf(cursor, batchSize, sentRecordOf);
  }

  async putSent(connectionId: string, goalId: string, audienceId: string, records: SentRecord[]): Promise<void> {
    await this.bulkInBatches(
      this.sent,
      records.map((record) => {
        const _id = keyOf(connectionId, goalId, audienceId, record.memberId);
        return { replaceOne: { filter: { _id }, replacement: { ...record, connectionId, goalId, audienceId }, upsert: true } };
      }),
    );
  }

  async getCheckpoint<T = unknown>(connectionId: string, goalId: string): Promise<T | undefined> {
    const document = await this.checkpoints.findOne({ _id: keyOf(connectionId, goalId) });
    return document ? (document.checkpoint as T) : undefined;
  }

  async putCheckpoint(connectionId: string, goalId: string, checkpoint: unknown): Promise<void> {
    await this.checkpoints.replaceOne({ _id: keyOf(connectionId, goalId) }, { connectionId, goalId, checkpoint }, { upsert: true });
  }

  async clearCheckpoint(connectionId: string, goalId: string): Promise<void> {
    await this.checkpoints.deleteOne({ _id: keyOf(connectionId, goalId) });
  }

  async saveRun(report: RunReport): Promise<void> {
    await this.runs.replaceOne({ _id: report.runId }, report, { upsert: true });
  }

  async listRuns(query: RunQuery): Promise<RunReport[]> {
    // MongoDB reads a limit of 0 as "no limit", so it is answered here.
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 0)) {
      throw new RangeError(`limit must be a non-negative integer, got ${query.limit}`);
    }
    if (query.limit === 0) return [];
    const startedAt: { $gte?: Date; $lt?: Date } = {};
    if (query.since) startedAt.$gte = query.since;
    if (query.until) startedAt.$lt = query.until;
    const filter: Filter<RunDocument> = { connectionId: query.connectionId };
    if (query.since || query.until) filter.startedAt = startedAt;
    const cursor = this.runs.find(filter).sort({ startedAt: -1, _id: -1 });
    if (query.limit !== undefined) cursor.limit(query.limit);
    return (await cursor.toArray()).map(({ _id, ...report }) => report);
  }

  async addExchanged(connectionId: string, direction: ExchangeDirection, profileIds: string[]): Promise<void> {
    // Upserts, not inserts: a profile already in the set is a match, never a duplicate-key error.
    await this.bulkInBatches(
      this.exchanged,
      [...new Set(profileIds)].map((profileId) => ({
        updateOne: {
          filter: { _id: keyOf(connectionId, direction, profileId) },
          update: { $setOnInsert: { connectionId, direction, profileId } },
          upsert: true,
        },
      })),
    );
  }

  async countExchanged(connectionId: string, direction: ExchangeDirection): Promise<number> {
    return this.exchanged.countDocuments({ connectionId, direction });
  }

  async addTouchpoints(entries: { key: TouchpointKey; count: number }[]): Promise<void> {
    const bad = entries.find(({ count }) => !Number.isFinite(count));
    if (bad) throw new StoreInputError(`A touchpoint count must be a finite number, got ${bad.count} for ${touchpointId(bad.key)}`);
    await this.bulkInBatches(
      this.touchpoints,
      entries.map(({ key, count }) => ({
        updateOne: {
          filter: { _id: touchpointKeyOf(key) },
          update: { $inc: { count }, $setOnInsert: { profileId: key.profileId, lifecycle: key.lifecycle, stage: key.stage, period: key.period } },
          upsert: true,
        },
      })),
    );
  }

  async getTouchpoints(keys: TouchpointKey[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (keys.length === 0) return counts;
    for await (const document of this.touchpoints.find({ _id: { $in: keys.map(touchpointKeyOf) } })) {
      counts.set(touchpointId(document), document.count);
    }
    return counts;
  }

  async claimScheduledSlot(connectionId: string, slot: Date): Promise<boolean> {
    const claim = { _id: keyOf(connectionId, slot.toISOString()), connectionId, slot, claimedAt: this.clock.now() };
    return insertIfAbsent(() => this.slots.insertOne(claim));
  }

  acquireLock(connectionId: string, owner: string, leaseMs: number): Promise<LockAnswer> {
    return this.locks.acquire(connectionId, owner, leaseMs, this.clock.now());
  }

  renewLock(connectionId: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.locks.renew(connectionId, owner, leaseMs, this.clock.now());
  }

  releaseLock(connectionId: string, owner: string): Promise<void> {
    return this.locks.release(connectionId, owner);
  }

  private async bulkInBatches<T extends Document>(collection: Collection<T>, operations: AnyBulkWriteOperation<T>[]): Promise<void> {
    for (let start = 0; start < operations.length; start += WRITE_BATCH) {
      await collection.bulkWrite(operations.slice(start, start + WRITE_BATCH), { ordered: true });
    }
  }
}

function sentRecordOf(document: SentDocument): SentRecord {
  const { _id, connectionId: _c, goalId: _g, audienceId: _a, ...record } = document;
  return record;
}

function touchpointKeyOf(key: TouchpointKey): string {
  return keyOf(key.profileId, key.lifecycle, key.stage, key.period);
}
