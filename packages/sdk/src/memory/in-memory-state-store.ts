import { systemClock, type Clock } from '../ports/runtime-services.js';
import {
  touchpointId,
  type ExchangeDirection,
  type LockAnswer,
  type RunQuery,
  type SentRecord,
  type StateStore,
  type TouchpointKey,
} from '../ports/state-store.js';
import type { MemberPayload } from '../connector.js';
import type { RunReport } from '../report.js';
import { copyData } from './copy-data.js';

interface Lease {
  owner: string;
  since: Date;
  expiresAt: Date;
}

/** One unambiguous map key from several parts (ids may contain any separator). */
const keyOf = (...parts: string[]): string => JSON.stringify(parts);

/** The reference StateStore, held in process memory; values are copied in and out. */
export class InMemoryStateStore implements StateStore {
  private readonly watermarks = new Map<string, Date>();
  /** Per connection × goal: audience → its records, so a goal's records go in one delete. */
  private readonly sent = new Map<string, Map<string, AudienceRecords>>();
  private readonly checkpoints = new Map<string, unknown>();
  private readonly runs = new Map<string, RunReport>();
  private readonly exchanged = new Map<string, Set<string>>();
  private readonly touchpoints = new Map<string, number>();
  private readonly claimedSlots = new Set<string>();
  private readonly locks = new Map<string, Lease>();

  constructor(private readonly clock: Clock = systemClock) {}

  async getWatermark(connectionId: string, goalId: string): Promise<Date | undefined> {
    const at = this.watermarks.get(keyOf(connectionId, goalId));
    return at && new Date(at.getTime());
  }

  async setWatermark(connectionId: string, goalId: string, at: Date): Promise<void> {
    this.watermarks.set(keyOf(connectionId, goalId), new Date(at.getTime()));
  }

  async getSent(connectionId: string, goalId: string, audienceId: string, memberIds: string[]): Promise<Map<string, SentRecord>> {
    const records = this.sent.get(keyOf(connectionId, goalId))?.get(audienceId);
    const found = new Map<string, SentRecord>();
    for (const memberId of memberIds) {
      const record = records?.byMember.get(memberId);
      if (record) found.set(memberId, copyRecord(record));
    }
    return found;
  }

  async putSent(connectionId: string, goalId: string, audienceId: string, records: SentRecord[]): Promise<void> {
    const goalKey = keyOf(connectionId, goalId);
    let audiences = this.sent.get(goalKey);
    if (!audiences) this.sent.set(goalKey, (audiences = new Map()));
    let members = audiences.get(audienceId);
    if (!members) audiences.set(audienceId, (members = new AudienceRecords()));
    for (const record of records) members.put(copyRecord(record));
  }

  streamSent(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    return copiesInBatches([...(this.sent.get(keyOf(connectionId, goalId))?.get(audienceId)?.byMember.values() ?? [])], batchSize);
  }

  async sentForProfiles(connectionId: string, goalId: string, audienceId: string, profileIds: string[]): Promise<SentRecord[]> {
    return (this.sent.get(keyOf(connectionId, goalId))?.get(audienceId)?.forProfiles(profileIds) ?? []).map(copyRecord);
  }

  sentWaitingForRetry(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]> {
    return copiesInBatches(this.sent.get(keyOf(connectionId, goalId))?.get(audienceId)?.waitingForRetry() ?? [], batchSize);
  }

  async getCheckpoint<T = unknown>(connectionId: string, goalId: string): Promise<T | undefined> {
    const checkpoint = this.checkpoints.get(keyOf(connectionId, goalId));
    return checkpoint === undefined ? undefined : (copyData(checkpoint) as T);
  }

  async putCheckpoint(connectionId: string, goalId: string, checkpoint: unknown): Promise<void> {
    this.checkpoints.set(keyOf(connectionId, goalId), copyData(checkpoint));
  }

  async clearCheckpoint(connectionId: string, goalId: string): Promise<void> {
    this.checkpoints.delete(keyOf(connectionId, goalId));
  }

  async saveRun(report: RunReport): Promise<void> {
    this.runs.set(report.runId, copyData(report));
  }

  /** Newest first; `since` is inclusive and `until` exclusive, both on `startedAt`. */
  async listRuns(query: RunQuery): Promise<RunReport[]> {
    const since = query.since?.getTime() ?? -Infinity;
    const until = query.until?.getTime() ?? Infinity;
    const matching = [...this.runs.values()].filter((run) => {
      const started = run.startedAt.getTime();
      return run.connectionId === query.connectionId && started >= since && started < until;
    });
    matching.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
    return matching.slice(0, query.limit ?? matching.length).map((run) => copyData(run));
  }

  async addExchanged(connectionId: string, direction: ExchangeDirection, profileIds: string[]): Promise<void> {
    const key = keyOf(connectionId, direction);
    let ids = this.exchanged.get(key);
    if (!ids) this.exchanged.set(key, (ids = new Set()));
    for (const id of profileIds) ids.add(id);
  }

  async countExchanged(connectionId: string, direction: ExchangeDirection): Promise<number> {
    return this.exchanged.get(keyOf(connectionId, direction))?.size ?? 0;
  }

  async addTouchpoints(entries: { key: TouchpointKey; count: number }[]): Promise<void> {
    for (const { key, count } of entries) {
      const id = touchpointId(key);
      this.touchpoints.set(id, (this.touchpoints.get(id) ?? 0) + count);
    }
  }

  async getTouchpoints(keys: TouchpointKey[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const key of keys) {
      const id = touchpointId(key);
      const count = this.touchpoints.get(id);
      if (count !== undefined) found.set(id, count);
    }
    return found;
  }

  async claimScheduledSlot(connectionId: string, slot: Date): Promise<boolean> {
    const key = keyOf(connectionId, slot.toISOString());
    if (this.claimedSlots.has(key)) return false;
    this.claimedSlots.add(key);
    return true;
  }

  async acquireLock(connectionId: string, owner: string, leaseMs: number): Promise<LockAnswer> {
    const now = this.clock.now();
    const held = this.locks.get(connectionId);
    if (held && held.owner !== owner && held.expiresAt > now) {
      return { acquired: false, owner: held.owner, since: new Date(held.since.getTime()), expiresAt: new Date(held.expiresAt.getTime()) };
    }
    const since = held?.owner === owner ? held.since : now;
    this.locks.set(connectionId, { owner, since, expiresAt: leaseEnd(now, leaseMs) });
    return { acquired: true };
  }

  /** An owner whose lease ran out keeps it until another owner takes it over. */
  async renewLock(connectionId: string, owner: string, leaseMs: number): Promise<boolean> {
    const held = this.locks.get(connectionId);
    if (held?.owner !== owner) return false;
    held.expiresAt = leaseEnd(this.clock.now(), leaseMs);
    return true;
  }

  async releaseLock(connectionId: string, owner: string): Promise<void> {
    if (this.locks.get(connectionId)?.owner === owner) this.locks.delete(connectionId);
  }
}

/** One goal's records in one audience, found by member, by profile, and by waiting for a retry. */
class AudienceRecords {
  readonly byMember = new Map<string, SentRecord>();
  /** Profile → its members; nearly always one, so an array, not a Set per profile. */
  private readonly byProfile = new Map<string, string[]>();
  private readonly retrying = new Set<string>();

  put(record: SentRecord): void {
    const previous = this.byMember.get(record.memberId)?.profileId;
    if (previous !== undefined && previous !== record.profileId) this.unlink(previous, record.memberId);
    this.byMember.set(record.memberId, record);
    if (record.profileId !== undefined && previous !== record.profileId) {
      const members = this.byProfile.get(record.profileId);
      if (!members) this.byProfile.set(record.profileId, [record.memberId]);
      else if (!members.includes(record.memberId)) members.push(record.memberId);
    }
    if (record.retry === undefined) this.retrying.delete(record.memberId);
    else this.retrying.add(record.memberId);
  }

  forProfiles(profileIds: string[]): SentRecord[] {
    const members = new Set(profileIds.flatMap((id) => this.byProfile.get(id) ?? []));
    return [...members].map((memberId) => this.byMember.get(memberId)!);
  }

  waitingForRetry(): SentRecord[] {
    return [...this.retrying].map((memberId) => this.byMember.get(memberId)!);
  }

  private unlink(profileId: string, memberId: string): void {
    const members = this.byProfile.get(profileId)?.filter((id) => id !== memberId) ?? [];
    if (members.length === 0) this.byProfile.delete(profileId);
    else this.byProfile.set(profileId, members);
  }
}

/** Copies of the records, `batchSize` at a time, copied as each batch is taken. */
async function* copiesInBatches(records: SentRecord[], batchSize: number): AsyncIterable<SentRecord[]> {
  for (let start = 0; start < records.length; start += batchSize) yield records.slice(start, start + batchSize).map(copyRecord);
}

/**
 * A deep copy of a record, by its known shape (as cloneProfile copies profiles): several times faster than
 * copyData, and every record a run writes is copied.
 */
function copyRecord(record: SentRecord): SentRecord {
  const copy: SentRecord = { ...record, sentAt: new Date(record.sentAt.getTime()) };
  if (record.payload) copy.payload = copyPayload(record.payload);
  return copy;
}

function copyPayload(payload: MemberPayload): MemberPayload {
  const copy: MemberPayload = { ...payload, mergeFields: { ...payload.mergeFields }, tags: payload.tags.slice() };
  if (payload.interests) copy.interests = payload.interests.map((interest) => ({ ...interest }));
  if (payload.marketingPermissions) copy.marketingPermissions = payload.marketingPermissions.map((permission) => ({ ...permission }));
  return copy;
}

function leaseEnd(now: Date, leaseMs: number): Date {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`A lock lease must be a positive number of milliseconds, got ${leaseMs}`);
  return new Date(now.getTime() + leaseMs);
}
