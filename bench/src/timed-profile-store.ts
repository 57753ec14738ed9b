import type { PatchResult, Profile, ProfilePatch, ProfileStore, SegmentQuery } from '@cdp/sdk';

/** Passes every call to the store it wraps, and adds up the time spent writing patches (kept with `keepPatches`). */
export class TimedProfileStore implements ProfileStore {
  writeMs = 0;
  written = 0;
  /** Every batch of patches written, in order, when kept. */
  readonly patches: ProfilePatch[][] = [];

  constructor(
    private readonly store: ProfileStore,
    private readonly keepPatches = false,
  ) {}

  streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    return this.store.streamSegment(query);
  }

  findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    return this.store.findByIdentifier(property, values);
  }

  findById(ids: string[]): Promise<Profile[]> {
    return this.store.findById(ids);
  }

  changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    return this.store.changedSince(ids, since);
  }

  async applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]> {
    if (this.keepPatches) this.patches.push(patches);
    const started = performance.now();
    const results = await this.store.applyPatches(patches);
    this.writeMs += performance.now() - started;
    this.written += results.filter((result) => result.outcome === 'created' || result.outcome === 'updated').length;
    return results;
  }

  upsertProfiles(profiles: Profile[]): Promise<void> {
    return this.store.upsertProfiles(profiles);
  }

  count(query?: { segment?: string }): Promise<number> {
    return this.store.count(query);
  }
}
