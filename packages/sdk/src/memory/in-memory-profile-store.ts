import { identifierKey } from '../identifiers.js';
import type { PatchResult, ProfilePatch, ProfileStore, SegmentQuery } from '../ports/profile-store.js';
import { systemClock, type Clock } from '../ports/runtime-services.js';
import { validatePatch } from '../ports/store-input.js';
import type { Profile } from '../profile.js';
import { cloneProfile } from './clone-profile.js';
import { patchProfile } from './patch-profile.js';

const DEFAULT_BATCH_SIZE = 500;

/**
 * The reference ProfileStore, held in process memory. Segments are indexed as profiles are written;
 * an identifier property gets a value index the first time it is looked up, kept current from then on.
 */
export class InMemoryProfileStore implements ProfileStore {
  private readonly profiles = new Map<string, Profile>();
  /** Segment → ids of its profiles, in the order they joined (the stable streaming order). */
  private readonly segmentMembers = new Map<string, Set<string>>();
  /** Property → string value → ids of profiles holding it. */
  private readonly identifierIndexes = new Map<string, Map<string, Set<string>>>();
  /** Every profile `delete` took out, with when: the store holds them from its start, so `deletedSince` always knows. */
  private readonly deletions = new Map<string, Date>();

  constructor(private readonly clock: Clock = systemClock) {}

  async *streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    const batchSize = query.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const changedSince = query.changedSince?.getTime();
    // Walks the live index lazily: only one batch of copies exists at a time.
    let batch: Profile[] = [];
    for (const id of this.segmentMembers.get(query.segment) ?? []) {
      const profile = this.profiles.get(id);
      if (!profile || (changedSince !== undefined && profile.updatedAt.getTime() <= changedSince)) continue;
      batch.push(cloneProfile(profile));
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    const index = this.identifierIndex(property);
    const ids = new Set(values.flatMap((value) => [...(index.get(identifierKey(value)) ?? [])]));
    return this.copiesOf(ids);
  }

  async findById(ids: string[]): Promise<Profile[]> {
    return this.copiesOf(new Set(ids));
  }

  async changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    return new Map((await this.findById(ids)).map((profile) => [profile.id, profile.updatedAt > since]));
  }

  async *changedIdsSince(since: Date, batchSize: number): AsyncIterable<string[]> {
    let batch: string[] = [];
    for (const profile of this.profiles.values()) {
      if (profile.updatedAt <= since) continue;
      batch.push(profile.id);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** A deletion at the very instant `since` counts: the port may name more profiles, never fewer. */
  async deletedSince(since: Date): Promise<string[]> {
    return [...this.deletions].filter(([, at]) => at >= since).map(([id]) => id);
  }

  /**
   * Deletes profiles as a CDP deletes its own (the port has no such call: hosts delete behind it), remembering
   * when for `deletedSince`.
   */
  async delete(ids: string[]): Promise<void> {
    const now = this.clock.now();
    for (const id of ids) {
      const profile = this.profiles.get(id);
      if (!profile) continue;
      this.profiles.delete(id);
      updateIndex(this.segmentMembers, id, profile.segments, []);
      for (const [property, index] of this.identifierIndexes) updateIndex(index, id, stringValues(profile, property), []);
      this.deletions.set(id, now);
    }
  }

  /** Validates and stages every patch first and stores the results together, so a patch that throws changes nothing. */
  async applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]> {
    patches.forEach(validatePatch);
    const now = this.clock.now();
    const staged = new Map<string, Profile>();
    const results = patches.map((patch) => {
      const current = staged.get(patch.profileId) ?? this.profiles.get(patch.profileId);
      const { outcome, next } = patchProfile(current, patch, now);
      if (next) staged.set(patch.profileId, next);
      return { profileId: patch.profileId, outcome };
    });
    for (const profile of staged.values()) this.write(cloneProfile(profile));
    return results;
  }

  /** Keeps the stored import bookkeeping unless the profile given carries its own (see the port). */
  async upsertProfiles(profiles: Profile[]): Promise<void> {
    for (const profile of profiles) {
      const stored = this.profiles.get(profile.id);
      const copy = cloneProfile(profile);
      if (stored?.sourceVersions && !copy.sourceVersions) copy.sourceVersions = { ...stored.sourceVersions };
      if (stored?.sourceSums && !copy.sourceSums) copy.sourceSums = { ...stored.sourceSums };
      this.write(copy);
    }
  }

  async count(query: { segment?: string } = {}): Promise<number> {
    if (query.segment === undefined) return this.profiles.size;
    return this.segmentMembers.get(query.segment)?.size ?? 0;
  }

  private copiesOf(ids: Iterable<string>): Profile[] {
    const found: Profile[] = [];
    for (const id of ids) {
      const profile = this.profiles.get(id);
      if (profile) found.push(cloneProfile(profile));
    }
    return found;
  }

  /** Stores a profile the store owns and brings every index in line with it. */
  private write(profile: Profile): void {
    const previous = this.profiles.get(profile.id);
    this.profiles.set(profile.id, profile);
    updateIndex(this.segmentMembers, profile.id, previous?.segments ?? [], profile.segments);
    for (const [property, index] of this.identifierIndexes) {
      updateIndex(index, profile.id, stringValues(previous, property), stringValues(profile, property));
    }
  }

  private identifierIndex(property: string): Map<string, Set<string>> {
    let index = this.identifierIndexes.get(property);
    if (!index) {
      index = new Map();
      for (const profile of this.profiles.values()) updateIndex(index, profile.id, [], stringValues(profile, property));
      this.identifierIndexes.set(property, index);
    }
    return index;
  }
}

/** The identifier keys of a property's string values: only strings can match an identifier lookup. */
function stringValues(profile: Profile | undefined, property: string): string[] {
  if (!profile || !Object.hasOwn(profile.properties, property)) return [];
  return profile.properties[property].filter((value): value is string => typeof value === 'string').map(identifierKey);
}

/** Moves `id` from the keys it no longer has to the keys it now has, keeping its place under unchanged keys. */
function updateIndex(index: Map<string, Set<string>>, id: string, before: string[], after: string[]): void {
  for (const key of before) {
    if (after.includes(key)) continue;
    const ids = index.get(key);
    ids?.delete(id);
    if (ids?.size === 0) index.delete(key);
  }
  for (const key of after) {
    let ids = index.get(key);
    if (!ids) index.set(key, (ids = new Set()));
    ids.add(id);
  }
}
