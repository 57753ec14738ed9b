import type { Profile, PropertyValue } from '../profile.js';

/** How an import mapping writes a value into a multi-valued property. */
export type WriteMode = 'set' | 'setIfEmpty' | 'add' | 'sum';

/** One property write. For `sum`, `values` holds exactly one finite number. */
export interface PropertyOp {
  property: string;
  mode: WriteMode;
  values: PropertyValue[];
  /**
   * For `sum`: the key under which the profile keeps the value last imported from this source
   * (`sourceSums`). The sum then adds the change since that value, not the value itself, and records the
   * value, in the same atomic update: re-reading a source never counts it twice.
   */
  baseline?: string;
}

/** A change to one profile, applied atomically on the profile by the store. */
export interface ProfilePatch {
  profileId: string;
  /** When set, a missing profile is created with these fields (and then the ops apply). */
  createWith?: Pick<Profile, 'properties' | 'consent'> & Partial<Pick<Profile, 'segments'>>;
  ops: PropertyOp[];
  /**
   * Exactly-once guard: if the profile already records `value` under `key` in `sourceVersions`, the whole
   * patch is a no-op; otherwise the ops apply and the version is recorded in the same atomic update.
   */
  version?: { key: string; value: string };
}

export type PatchOutcome = 'created' | 'updated' | 'unchanged' | 'missing';

export interface PatchResult {
  profileId: string;
  outcome: PatchOutcome;
}

export interface SegmentQuery {
  segment: string;
  /** Only profiles whose `updatedAt` is after this instant. */
  changedSince?: Date;
  /** Profiles per yielded batch. */
  batchSize?: number;
}

/** Where profiles live. Implemented by the host (MongoDB store, in-memory store, or a CDP's own). */
export interface ProfileStore {
  /** Streams the segment's profiles in batches, in a stable order; memory stays flat as the segment grows. */
  streamSegment(query: SegmentQuery): AsyncIterable<Profile[]>;
  /**
   * Profiles whose unique-identifier `property` holds one of `values`, in one round trip. Values are matched as
   * identifier keys (`identifierKey`: trimmed, lowercased, NFC), never as patterns.
   */
  findByIdentifier(property: string, values: string[]): Promise<Profile[]>;
  findById(ids: string[]): Promise<Profile[]>;
  /**
   * Which of these profiles changed after `since` (`changed`: true) and which did not, as the store counts
   * changes (a source whose timestamps can lag counts its overlap as changed; one without timestamps, all of
   * them); profiles it does not hold are absent. Reads no more than ids and change times.
   */
  changedSince(ids: string[], since: Date): Promise<Map<string, boolean>>;
  /**
   * Optional, with `deletedSince`: the ids of every profile changed after `since`, as `changedSince` counts changes,
   * in batches of at most `batchSize`. Reads ids only (an index on the change time serves it).
   */
  changedIdsSince?(since: Date, batchSize: number): AsyncIterable<string[]>;
  /**
   * Optional: the ids of the profiles deleted after `since`, however they were deleted (a host deletes profiles
   * itself, behind the port), or `undefined` when the store cannot tell for all of that span (it started keeping
   * deletions later, or has pruned them since). It may name more profiles than that (deleted a little earlier, or
   * created again since), never fewer. With it and `changedIdsSince`, an export's sweep looks only at the records
   * of changed and deleted profiles instead of walking every record the goal wrote.
   */
  deletedSince?(since: Date): Promise<string[] | undefined>;
  /** Applies patches in bulk; every result is in the order of the input. */
  applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]>;
  /**
   * Inserts or replaces whole profiles (loaders, tests, a CDP's own sync). The stored import bookkeeping
   * (`sourceVersions`, `sourceSums`) is kept unless the profile given carries its own: rewriting a profile must
   * not make an import count its members again.
   */
  upsertProfiles(profiles: Profile[]): Promise<void>;
  count(query?: { segment?: string }): Promise<number>;
}
