import { assertFieldName, type LifecyclePosition, type Profile, type PropertyValue } from '@cdp/sdk';

/** Why one NDJSON line is not a profile. */
export class ProfileLineError extends Error {}

const KNOWN_FIELDS = new Set(['id', 'properties', 'segments', 'lifecycles', 'viewedInteractions', 'permissionLevel', 'consent', 'updatedAt', 'sourceVersions']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A profile line as read: its `updatedAt` is the file's claim, used only when the loader is told to. */
export interface ProfileLine {
  profile: Omit<Profile, 'updatedAt'>;
  updatedAt?: Date;
}

/**
 * Reads one NDJSON line as a profile: the Profile shape with an optional `updatedAt` as an ISO 8601 string.
 * `id` is required; absent lists read as empty (and absent consent as none). Unknown fields, also inside
 * `consent`, are refused: a misspelt or unexpected consent field must never pass as consent given.
 */
export function parseProfileLine(line: string): ProfileLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new ProfileLineError(`invalid JSON (${(error as Error).message})`);
  }
  return readProfileRecord(parsed);
}

/** Reads one parsed record (from NDJSON or another format) as a profile, with the rules of `parseProfileLine`. */
export function readProfileRecord(parsed: unknown): ProfileLine {
  const record = asObject(parsed, 'the line');
  const unknown = Object.keys(record).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) throw new ProfileLineError(`unknown field ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  if (typeof record.id !== 'string' || record.id.trim() === '') throw new ProfileLineError('id must be a non-empty string');

  const profile: Omit<Profile, 'updatedAt'> = {
    id: record.id,
    properties: readProperties(record.properties),
    segments: stringList(record.segments, 'segments'),
    lifecycles: readLifecycles(record.lifecycles),
    viewedInteractions: stringList(record.viewedInteractions, 'viewedInteractions'),
    consent: readConsent(record.consent),
  };
  if (record.permissionLevel !== undefined) {
    if (typeof record.permissionLevel !== 'string') throw new ProfileLineError('permissionLevel must be a string');
    profile.permissionLevel = record.permissionLevel;
  }
  if (record.sourceVersions !== undefined) profile.sourceVersions = readSourceVersions(record.sourceVersions);
  return record.updatedAt === undefined ? { profile } : { profile, updatedAt: readDate(record.updatedAt) };
}

function readConsent(value: unknown): Profile['consent'] {
  if (value === undefined) return { objectives: [] };
  const consent = asObject(value, 'consent');
  const unknown = Object.keys(consent).filter((key) => key !== 'objectives');
  if (unknown.length > 0) throw new ProfileLineError(`unknown consent field ${unknown.map((key) => JSON.stringify(key)).join(', ')}: consent holds only "objectives"`);
  return { objectives: stringList(consent.objectives, 'consent.objectives') };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProfileLineError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new ProfileLineError(`${what} must be a list of strings`);
  return value;
}

function readProperties(value: unknown): Record<string, PropertyValue[]> {
  if (value === undefined) return {};
  const properties = asObject(value, 'properties');
  for (const [name, values] of Object.entries(properties)) {
    checkFieldName(name, 'property name');
    const valid = Array.isArray(values) && values.every((item) => typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item)));
    if (!valid) throw new ProfileLineError(`property ${name} must be a list of strings, numbers or booleans`);
  }
  return properties as Record<string, PropertyValue[]>;
}

function readLifecycles(value: unknown): LifecyclePosition[] {
  if (value === undefined) return [];
  const valid = Array.isArray(value) && value.every((item) => typeof item?.lifecycle === 'string' && typeof item?.stage === 'string');
  if (!valid) throw new ProfileLineError('lifecycles must be a list of { lifecycle, stage } strings');
  return (value as LifecyclePosition[]).map(({ lifecycle, stage }) => ({ lifecycle, stage }));
}

function readDate(value: unknown): Date {
  const date = typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new ProfileLineError(`updatedAt is not an ISO 8601 date: ${JSON.stringify(value)}`);
  return date;
}

function readSourceVersions(value: unknown): Record<string, string> {
  const versions = asObject(value, 'sourceVersions');
  for (const [key, version] of Object.entries(versions)) {
    checkFieldName(key, 'source version key');
    if (typeof version !== 'string') throw new ProfileLineError(`sourceVersions.${key} must be a string`);
  }
  return versions as Record<string, string>;
}

function checkFieldName(name: string, what: string): void {
  try {
    assertFieldName(name, what);
  } catch (error) {
    throw new ProfileLineError((error as Error).message);
  }
}
