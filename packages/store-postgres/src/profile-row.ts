import { assertStorableProfile, identifierKeysOf, type LifecyclePosition, type Profile, type PropertyValue } from '@cdp/sdk';

/** A profile as its table holds it: one column per field, JSONB for properties and the import bookkeeping. */
export interface ProfileRow {
  id: string;
  properties: Record<string, PropertyValue[]>;
  segments: string[];
  lifecycles: LifecyclePosition[];
  viewed_interactions: string[];
  permission_level: string | null;
  consent_objectives: string[];
  updated_at: Date;
  source_versions: Record<string, string> | null;
  source_sums: Record<string, number> | null;
  identifier_keys: Record<string, string[]>;
}

/** The columns and their types, in one order: for `jsonb_to_recordset`, inserts and updates alike. */
export const PROFILE_COLUMNS: [keyof ProfileRow, string][] = [
  ['id', 'text'],
  ['properties', 'jsonb'],
  ['segments', 'text[]'],
  ['lifecycles', 'jsonb'],
  ['viewed_interactions', 'text[]'],
  ['permission_level', 'text'],
  ['consent_objectives', 'text[]'],
  ['updated_at', 'timestamptz'],
  ['source_versions', 'jsonb'],
  ['source_sums', 'jsonb'],
  ['identifier_keys', 'jsonb'],
];

/** The row of a profile, with the identifier keys of its unique-identifier properties. Names are checked as every store checks them. */
export function toRow(profile: Profile, identifiers: readonly string[]): ProfileRow {
  assertStorableProfile(profile);
  return {
    id: profile.id,
    properties: profile.properties,
    segments: profile.segments,
    lifecycles: profile.lifecycles,
    viewed_interactions: profile.viewedInteractions,
    permission_level: profile.permissionLevel ?? null,
    consent_objectives: profile.consent.objectives,
    updated_at: profile.updatedAt,
    source_versions: profile.sourceVersions ?? null,
    source_sums: profile.sourceSums ?? null,
    identifier_keys: Object.fromEntries(identifiers.map((name) => [name, identifierKeysOf(profile.properties[name])])),
  };
}

/** A row as reads fetch it: without the derived identifier keys. */
export type StoredProfile = Omit<ProfileRow, 'identifier_keys'>;

export function toProfile(row: StoredProfile): Profile {
  const profile: Profile = {
    id: row.id,
    properties: row.properties,
    segments: row.segments,
    lifecycles: row.lifecycles,
    viewedInteractions: row.viewed_interactions,
    consent: { objectives: row.consent_objectives },
    updatedAt: row.updated_at,
  };
  if (row.permission_level !== null) profile.permissionLevel = row.permission_level;
  if (row.source_versions !== null) profile.sourceVersions = row.source_versions;
  if (row.source_sums !== null) profile.sourceSums = row.source_sums;
  return profile;
}
