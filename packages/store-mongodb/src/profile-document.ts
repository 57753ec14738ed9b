import { CdpError, identifierKey, type Profile } from '@cdp/sdk';

/**
 * How a profile is stored: the profile itself, keyed by `_id` instead of `id`, plus the identifier keys
 * (`identifierKey` of each unique-identifier value) that identifier lookups match on, indexed.
 */
export interface ProfileDocument extends Omit<Profile, 'id'> {
  _id: string;
  identifierKeys?: Record<string, string[]>;
}

/** Input the store refuses before writing anything (bad names, wrong shapes, impossible patches). */
export class StoreInputError extends CdpError {
  constructor(message: string) {
    super('invalid_store_input', message);
  }
}

/**
 * Property names and `sourceVersions` keys become parts of field paths (`properties.<name>`), so a `.` would
 * address a nested field and a leading `$` would read as an operator.
 */
export function assertFieldName(name: string, what: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.') || name.startsWith('$') || name.includes('\0')) {
    throw new StoreInputError(`${what} ${JSON.stringify(name)} is not usable as a field name (empty, contains '.' or NUL, or starts with '$')`);
  }
}

export function toDocument(profile: Profile, identifiers: readonly string[]): ProfileDocument {
  for (const name of Object.keys(profile.properties)) assertFieldName(name, 'Property name');
  for (const key of Object.keys(profile.sourceVersions ?? {})) assertFieldName(key, 'Source version key');
  for (const key of Object.keys(profile.sourceSums ?? {})) assertFieldName(key, 'Source sum key');
  const { id, ...rest } = profile;
  const keys = Object.fromEntries(identifiers.map((name) => [name, identifierKeysOf(profile.properties[name])]));
  return { _id: id, ...rest, identifierKeys: keys };
}

/** The identifier keys of a property's values (only strings identify). */
export function identifierKeysOf(values: Profile['properties'][string] | undefined): string[] {
  return [...new Set((values ?? []).filter((value): value is string => typeof value === 'string').map(identifierKey))];
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
