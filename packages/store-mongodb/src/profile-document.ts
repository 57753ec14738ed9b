import { assertFieldName, assertStorableProfile, identifierKeysOf, type Profile } from '@cdp/sdk';

/**
 * How a profile is stored: the profile itself, keyed by `_id` instead of `id`, plus the identifier keys
 * (`identifierKey` of each unique-identifier value) that identifier lookups match on, indexed.
 */
export interface ProfileDocument extends Omit<Profile, 'id'> {
  _id: string;
  identifierKeys?: Record<string, string[]>;
}

export function toDocument(profile: Profile, identifiers: readonly string[]): ProfileDocument {
  assertStorableProfile(profile);
  const { id, ...rest } = profile;
  const keys = Object.fromEntries(identifiers.map((name) => [name, identifierKeysOf(profile.properties[name])]));
  return { _id: id, ...rest, identifierKeys: keys };
}

/** The field path of a property's identifier keys. */
export function identifierKeysPath(name: string): string {
  assertFieldName(name, 'Property name');
  return `identifierKeys.${name}`;
}

/** Reads a stored profile; fields a CDP's own documents may lack read as empty. */
export function toProfile(document: ProfileDocument): Profile {
  const profile: Profile = {
    id: document._id,
    properties: document.properties ?? {},
    segments: document.segments ?? [],
    lifecycles: document.lifecycles ?? [],
    viewedInteractions: document.viewedInteractions ?? [],
    consent: { objectives: document.consent?.objectives ?? [] },
    updatedAt: document.updatedAt,
  };
  if (document.permissionLevel !== undefined && document.permissionLevel !== null) profile.permissionLevel = document.permissionLevel;
  if (document.sourceVersions) profile.sourceVersions = document.sourceVersions;
  if (document.sourceSums) profile.sourceSums = document.sourceSums;
  return profile;
}

/** The field path of a profile property. */
export function propertyPath(name: string): string {
  assertFieldName(name, 'Property name');
  return `properties.${name}`;
}
