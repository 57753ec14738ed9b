import { applyOps, identifierKeysOf, newProfile, type PatchOutcome, type Profile, type ProfilePatch, type PropertyValue } from '@cdp/sdk';
import { identifierKeysPath, propertyPath, toDocument, type ProfileDocument } from './profile-document.js';

/** The single write that carries a group of patches to one profile, or none when nothing changes. */
export type ProfileWrite =
  | { kind: 'none' }
  | { kind: 'insert'; document: ProfileDocument }
  /** `filter` holds every field the patches read as it was read: the update applies only if none changed since. */
  | { kind: 'update'; filter: Record<string, unknown>; set: Record<string, unknown> };

export interface PatchPlan {
  outcomes: PatchOutcome[];
  write: ProfileWrite;
}

/**
 * Works out, from one read of a profile (`current`, absent when the store has none), what the patches do
 * in order and the one write that stores it all. The write is a compare-and-set, so a concurrent change to
 * any field the patches read makes it miss, and the caller reads again and re-plans; nothing is lost.
 */
export function planPatches(
  profileId: string,
  current: Profile | undefined,
  patches: ProfilePatch[],
  now: Date,
  identifiers: readonly string[],
): PatchPlan {
  let state = current;
  const readProperties = new Set<string>();
  const readVersions = new Set<string>();
  const readSums = new Set<string>();
  const outcomes = patches.map((patch): PatchOutcome => {
    const base = state ?? (patch.createWith ? newProfile(profileId, patch.createWith, now) : undefined);
    if (!base) return 'missing';
    const { version } = patch;
    if (version) readVersions.add(version.key);
    if (state && version && state.sourceVersions?.[version.key] === version.value) return 'unchanged';

    for (const op of patch.ops) {
      readProperties.add(op.property);
      if (op.baseline !== undefined) readSums.add(op.baseline);
    }
    const applied = applyOps(base, patch.ops);
    const changed = !state || patch.ops.some((op) => !sameValues(valuesOf(base, op.property), valuesOf(applied, op.property)));
    const next: Profile = { ...applied, updatedAt: changed ? now : base.updatedAt };
    if (version) next.sourceVersions = { ...base.sourceVersions, [version.key]: version.value };
    const outcome: PatchOutcome = !state ? 'created' : changed ? 'updated' : 'unchanged';
    if (changed || version || applied.sourceSums !== base.sourceSums) state = next;
    return outcome;
  });
  return { outcomes, write: writeFor(current, state, { properties: readProperties, versions: readVersions, sums: readSums }, identifiers) };
}

/** The fields a group of patches read: each becomes a condition of the compare-and-set. */
interface ReadFields {
  properties: Set<string>;
  versions: Set<string>;
  sums: Set<string>;
}

function writeFor(before: Profile | undefined, after: Profile | undefined, read: ReadFields, identifiers: readonly string[]): ProfileWrite {
  if (!after || after === before) return { kind: 'none' };
  if (!before) return { kind: 'insert', document: toDocument(after, identifiers) };

  const filter: Record<string, unknown> = { _id: before.id };
  const set: Record<string, unknown> = {};
  for (const name of read.properties) {
    const path = propertyPath(name);
    filter[path] = asRead(valuesOf(before, name));
    if (sameValues(valuesOf(before, name), valuesOf(after, name))) continue;
    set[path] = valuesOf(after, name);
    if (identifiers.includes(name)) set[identifierKeysPath(name)] = identifierKeysOf(valuesOf(after, name));
  }
  for (const key of read.versions) {
    const path = `sourceVersions.${key}`;
    filter[path] = asRead(before.sourceVersions?.[key]);
    if (before.sourceVersions?.[key] !== after.sourceVersions?.[key]) set[path] = after.sourceVersions?.[key];
  }
  for (const key of read.sums) {
    const path = `sourceSums.${key}`;
    filter[path] = asRead(before.sourceSums?.[key]);
    if (before.sourceSums?.[key] !== after.sourceSums?.[key]) set[path] = after.sourceSums?.[key];
  }
  if (before.updatedAt.getTime() !== after.updatedAt.getTime()) set.updatedAt = after.updatedAt;
  return Object.keys(set).length === 0 ? { kind: 'none' } : { kind: 'update', filter, set };
}

/** A filter condition matching the field exactly as it was read (absent stays absent). */
function asRead(value: unknown): unknown {
  return value === undefined ? { $exists: false } : value;
}

/** A property's values, reading own keys only so a name like `__proto__` never reaches the prototype. */
function valuesOf(profile: Profile, name: string): PropertyValue[] | undefined {
  return Object.hasOwn(profile.properties, name) ? profile.properties[name] : undefined;
}

function sameValues(a: PropertyValue[] | undefined, b: PropertyValue[] | undefined): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
