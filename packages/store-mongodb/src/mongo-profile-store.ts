import {
  applyInBatches,
  CdpError,
  identifierKey,
  systemClock,
  type Clock,
  type PatchResult,
  type Profile,
  type ProfilePatch,
  type ProfileStore,
  type SegmentQuery,
} from '@cdp/sdk';
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from 'mongodb';
import { batchesOf } from './batches.js';
import { forEachConcurrently } from './concurrency.js';
import { insertIfAbsent, isDuplicateKey } from './duplicate-key.js';
import { planPatches, type ProfileWrite } from './patch-plan.js';
import { identifierKeysPath, propertyPath, toDocument, toProfile, type ProfileDocument } from './profile-document.js';

export interface MongoProfileStoreOptions {
  /** Properties that identify a profile (e.g. `email`); each gets an index. */
  uniqueIdentifiers: string[];
  clock?: Clock;
  /** Defaults to `profiles`; a CDP points this at its own collection. */
  collection?: string;
  /** Profiles per bulk write and per read of a patch batch. */
  writeBatchSize?: number;
}

const DEFAULT_STREAM_BATCH = 500;
const DEFAULT_WRITE_BATCH = 500;
/** Profiles written one by one at once (after losing a race, or not replayable), pipelined over the pool. */
const RETRY_CONCURRENCY = 16;
/** Compare-and-set attempts per profile before giving up on a profile that keeps changing under us. */
const MAX_PATCH_ATTEMPTS = 25;

type BulkWrite = Exclude<ProfileWrite, { kind: 'none' }>;

/**
 * Whether a patch applied twice does what it does once: planned again from a profile it already changed, its
 * version says `unchanged`, a sum with a baseline adds nothing more, and set, add and setIfEmpty are
 * idempotent. Only a plain sum without either would count twice.
 */
function replayable(patch: ProfilePatch): boolean {
  return patch.version !== undefined || patch.ops.every((op) => op.mode !== 'sum' || op.baseline !== undefined);
}

/** Profiles in a MongoDB collection, one document per profile keyed by its id. */
export class MongoProfileStore implements ProfileStore {
  private readonly profiles: Collection<ProfileDocument>;
  private readonly clock: Clock;
  private readonly writeBatchSize: number;

  constructor(
    db: Db,
    private readonly options: MongoProfileStoreOptions,
  ) {
    this.profiles = db.collection<ProfileDocument>(options.collection ?? 'profiles', { ignoreUndefined: true });
    this.clock = options.clock ?? systemClock;
    this.writeBatchSize = options.writeBatchSize ?? DEFAULT_WRITE_BATCH;
    if (!Number.isInteger(this.writeBatchSize) || this.writeBatchSize < 1) {
      throw new RangeError(`writeBatchSize must be a positive integer, got ${this.writeBatchSize}`);
    }
  }

  /**
   * Creates the indexes: per unique-identifier property one on its identifier keys and one on its values as
   * stored (documents a CDP writes itself may lack the keys), and one for "segment S changed since T".
   */
  async init(): Promise<void> {
    for (const name of this.options.uniqueIdentifiers) {
      await this.profiles.createIndex({ [identifierKeysPath(name)]: 1 }, { name: `identifier_key_${name}` });
      await this.profiles.createIndex({ [propertyPath(name)]: 1 }, { name: `identifier_${name}` });
    }
    await this.profiles.createIndex({ segments: 1, updatedAt: 1, _id: 1 }, { name: 'segment_changed' });
  }

  async *streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    const batchSize = query.batchSize ?? DEFAULT_STREAM_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const filter = query.changedSince ? { segments: query.segment, updatedAt: { $gt: query.changedSince } } : { segments: query.segment };
    // The cursor fetches one batch per round trip, so only one batch of profiles is ever held.
    const cursor = this.profiles.find(filter).sort({ updatedAt: 1, _id: 1 }).batchSize(batchSize);
    try {
      yield* batchesOf(cursor, batchSize, toProfile);
    } finally {
      await cursor.close();
    }
  }

  async findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    const [keysPath, valuesPath] = [identifierKeysPath(property), propertyPath(property)];
    if (values.length === 0) return [];
    if (!this.options.uniqueIdentifiers.includes(property)) {
      throw new CdpError('not_an_identifier', `${property} is not a unique identifier of this profile store (configured: ${this.options.uniqueIdentifiers.join(', ')})`);
    }
    const keys = [...new Set(values.map(identifierKey))];
    const documents = await this.profiles
      .find({ $or: [{ [keysPath]: { $in: keys } }, { [valuesPath]: { $in: [...new Set([...values, ...keys])] } }] })
      .toArray();
    return documents.map(toProfile);
  }

  async findById(ids: string[]): Promise<Profile[]> {
    if (ids.length === 0) return [];
    const documents = await this.profiles.find({ _id: { $in: ids } }).toArray();
    return documents.map(toProfile);
  }

  async changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    if (ids.length === 0) return new Map();
    const documents = await this.profiles.find({ _id: { $in: ids } }, { projection: { updatedAt: 1 } }).toArray();
    return new Map(documents.map((document) => [document._id, document.updatedAt > since]));
  }

  /**
   * Validates every patch first (a bad one throws before anything is written), then per batch: one read of
   * the profiles and one bulk write of compare-and-set writes, one per profile carrying all its patches.
   */
  applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]> {
    return applyInBatches(patches, this.writeBatchSize, (batch) => this.applyBatch(batch));
  }

  /**
   * Replaces each profile's fields, but keeps the stored import bookkeeping (`sourceVersions`, `sourceSums`)
   * unless the profile given carries its own: a CDP rewriting its profiles must not make imports count again.
   */
  async upsertProfiles(profiles: Profile[]): Promise<void> {
    const documents = profiles.map((profile) => toDocument(profile, this.options.uniqueIdentifiers));
    for (let start = 0; start < documents.length; start += this.writeBatchSize) {
      const writes: AnyBulkWriteOperation<ProfileDocument>[] = documents.slice(start, start + this.writeBatchSize).map(({ _id, ...fields }) => ({
        updateOne: {
          filter: { _id },
          update: fields.permissionLevel === undefined ? { $set: fields, $unset: { permissionLevel: '' } } : { $set: fields },
          upsert: true,
        },
      }));
      await this.profiles.bulkWrite(writes, { ordered: true });
    }
  }

  async count(query: { segment?: string } = {}): Promise<number> {
    return this.profiles.countDocuments(query.segment === undefined ? {} : { segments: query.segment });
  }

  /**
   * One read of the batch's profiles, then one unordered bulk write carrying every profile's planned write; the
   * few writes that lose a race with another writer are planned again from a fresh read, one profile at a time,
   * and so are patches that must not be planned again once applied (`replayable`).
   */
  private async applyBatch(patches: ProfilePatch[]): Promise<PatchResult[]> {
    const now = this.clock.now();
    const byProfile = new Map<string, number[]>();
    for (const [index, patch] of patches.entries()) {
      const group = byProfile.get(patch.profileId);
      if (group) group.push(index);
      else byProfile.set(patch.profileId, [index]);
    }
    const stored = new Map((await this.findById([...byProfile.keys()])).map((profile) => [profile.id, profile]));
    const groups = [...byProfile].map(([profileId, indexes]) => ({ profileId, patches: indexes.map((index) => patches[index]), indexes }));
    const plans = groups.map(({ profileId, patches: group }) => planPatches(profileId, stored.get(profileId), group, now, this.options.uniqueIdentifiers));

    // Only writes that are safe to plan again once applied go in bulk (see writeAll); the others go one by one.
    const bulk = groups.map(({ patches: group }, index) => plans[index].write.kind !== 'none' && group.every(replayable));
    const lost = await this.writeAll(plans.flatMap((plan, index) => (bulk[index] ? [plan.write as BulkWrite] : [])));
    const retried = new Set<number>();
    let position = 0;
    for (const [index, inBulk] of bulk.entries()) {
      if (inBulk ? lost.has(position++) : plans[index].write.kind !== 'none') retried.add(index);
    }

    const results: PatchResult[] = new Array(patches.length);
    const record = (profileId: string, indexes: number[], outcomes: PatchResult['outcome'][]) =>
      indexes.forEach((index, i) => (results[index] = { profileId, outcome: outcomes[i] }));
    for (const [index, group] of groups.entries()) if (!retried.has(index)) record(group.profileId, group.indexes, plans[index].outcomes);
    await forEachConcurrently([...retried], RETRY_CONCURRENCY, async (index) => {
      const { profileId, patches: group, indexes } = groups[index];
      const current = bulk[index] ? (await this.findById([profileId]))[0] : stored.get(profileId);
      record(profileId, indexes, await this.patchProfile(profileId, current, group, now));
    });
    return results;
  }

  /**
   * Writes in one unordered bulk write and answers the positions of the writes that lost a race. An update is
   * an upsert whose filter holds every field as read: when another writer changed one, the upsert tries to
   * insert the same `_id` and fails with a duplicate key, which names the write. An insert of a profile another
   * writer created fails the same way. An update that inserted found its profile deleted meanwhile: that stray
   * document is removed again and the patch planned anew.
   */
  private async writeAll(writes: BulkWrite[]): Promise<Set<number>> {
    if (writes.length === 0) return new Set();
    const operations = writes.map((write): AnyBulkWriteOperation<ProfileDocument> =>
      write.kind === 'insert'
        ? { insertOne: { document: write.document } }
        : { updateOne: { filter: write.filter as Filter<ProfileDocument>, update: { $set: write.set }, upsert: true } },
    );
    const lost = new Set<number>();
    let upserted: Record<number, unknown> = {};
    try {
      upserted = (await this.profiles.bulkWrite(operations, { ordered: false })).upsertedIds;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const errors = [error.writeErrors ?? []].flat();
      // Some MongoDB-compatible servers fail the whole command on a duplicate key instead of naming the write:
      // which writes applied is then unknown, and every one is planned again from a fresh read.
      if (errors.length === 0 && isDuplicateKey(error)) return new Set(writes.keys());
      if (errors.length === 0 || errors.some((writeError) => !isDuplicateKey(writeError))) throw error;
      for (const writeError of errors) lost.add(writeError.index);
      upserted = error.result.upsertedIds;
    }
    const strays = Object.keys(upserted).map(Number);
    if (strays.length > 0) {
      await this.profiles.deleteMany({ _id: { $in: strays.map((index) => upserted[index] as string) } });
      for (const index of strays) lost.add(index);
    }
    return lost;
  }

  /** Plans against the profile as read and writes conditionally; on a concurrent change, reads again. */
  private async patchProfile(profileId: string, read: Profile | undefined, patches: ProfilePatch[], now: Date): Promise<PatchResult['outcome'][]> {
    let current = read;
    for (let attempt = 1; attempt <= MAX_PATCH_ATTEMPTS; attempt++) {
      const plan = planPatches(profileId, current, patches, now, this.options.uniqueIdentifiers);
      if (await this.tryWrite(plan.write)) return plan.outcomes;
      const [again] = await this.findById([profileId]);
      current = again;
    }
    throw new CdpError('write_conflict', `Profile ${profileId} kept changing while being patched; gave up after ${MAX_PATCH_ATTEMPTS} attempts`);
  }

  /** False when the profile changed since it was read (the insert found it created, or the filter missed). */
  private async tryWrite(write: ProfileWrite): Promise<boolean> {
    switch (write.kind) {
      case 'none':
        return true;
      case 'insert':
        return insertIfAbsent(() => this.profiles.insertOne(write.document));
      case 'update':
        return (await this.profiles.updateOne(write.filter, { $set: write.set })).matchedCount === 1;
    }
  }
}
