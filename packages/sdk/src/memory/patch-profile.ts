import { applyOps } from '../mapping/import-mapping.js';
import type { PatchOutcome, ProfilePatch } from '../ports/profile-store.js';
import { newProfile, type Profile, type PropertyValue } from '../profile.js';

/**
 * What one patch does to the profile as it currently stands (`next` is set when something must be stored): the
 * reference semantics of `applyPatches`, which stores that hold the profile while they patch it apply as they are.
 */
export function patchProfile(current: Profile | undefined, patch: ProfilePatch, now: Date): { outcome: PatchOutcome; next?: Profile } {
  const { version, createWith } = patch;
  const base = current ?? (createWith ? newProfile(patch.profileId, createWith, now) : undefined);
  if (!base) return { outcome: 'missing' };
  if (current && version && current.sourceVersions?.[version.key] === version.value) return { outcome: 'unchanged' };

  const applied = applyOps(base, patch.ops);
  const changed = !current || !sameProperties(base.properties, applied.properties);
  const next: Profile = { ...applied, updatedAt: changed ? now : base.updatedAt };
  if (version) next.sourceVersions = { ...base.sourceVersions, [version.key]: version.value };
  const outcome: PatchOutcome = !current ? 'created' : changed ? 'updated' : 'unchanged';
  return { outcome, next: changed || version || applied.sourceSums !== base.sourceSums ? next : undefined };
}

function sameProperties(a: Record<string, PropertyValue[]>, b: Record<string, PropertyValue[]>): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => {
    const left = a[name];
    const right = Object.hasOwn(b, name) ? b[name] : undefined;
    return right !== undefined && left.length === right.length && left.every((value, i) => value === right[i]);
  });
}
