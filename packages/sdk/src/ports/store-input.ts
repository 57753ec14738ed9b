import { CdpError } from '../errors.js';
import type { Profile, PropertyValue } from '../profile.js';
import type { PatchResult, ProfilePatch } from './profile-store.js';

/** Input a store refuses before writing anything (bad names, wrong shapes, impossible patches). */
export class StoreInputError extends CdpError {
  constructor(message: string) {
    super('invalid_store_input', message);
  }
}

/**
 * Property names and `sourceVersions` keys become parts of field paths in a document store (`properties.<name>`),
 * where a `.` would address a nested field and a leading `$` would read as an operator; every store refuses them
 * alike, so data valid on one backend is valid on all.
 */
export function assertFieldName(name: string, what: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.') || name.startsWith('$') || name.includes('\0')) {
    throw new StoreInputError(`${what} ${JSON.stringify(name)} is not usable as a field name (empty, contains '.' or NUL, or starts with '$')`);
  }
}

/** Throws on a profile whose property names or bookkeeping keys a store cannot hold; called before it is written. */
export function assertStorableProfile(profile: Profile): void {
  for (const name of Object.keys(profile.properties)) assertFieldName(name, 'Property name');
  for (const key of Object.keys(profile.sourceVersions ?? {})) assertFieldName(key, 'Source version key');
  for (const key of Object.keys(profile.sourceSums ?? {})) assertFieldName(key, 'Source sum key');
}

const WRITE_MODES = new Set(['set', 'setIfEmpty', 'add', 'sum']);

/** Throws on a patch a store cannot apply; stores call it for every patch before anything is written. */
export function validatePatch(patch: ProfilePatch): void {
  if (typeof patch.profileId !== 'string' || patch.profileId === '') throw new StoreInputError('A patch needs a non-empty profileId');
  const where = `patch of profile ${JSON.stringify(patch.profileId)}`;
  if (!Array.isArray(patch.ops)) throw new StoreInputError(`The ${where} has no ops list`);
  for (const op of patch.ops) {
    assertFieldName(op.property, `In the ${where}, property name`);
    if (!WRITE_MODES.has(op.mode)) throw new StoreInputError(`In the ${where}, ${op.property} has an unknown write mode ${JSON.stringify(op.mode)}`);
    if (!Array.isArray(op.values) || !op.values.every(isPropertyValue)) {
      throw new StoreInputError(`In the ${where}, ${op.property} needs a list of strings, finite numbers or booleans`);
    }
    const [amount] = op.values;
    if (op.mode === 'sum' && (op.values.length !== 1 || typeof amount !== 'number')) {
      throw new StoreInputError(`In the ${where}, a sum on ${op.property} needs exactly one finite number`);
    }
    if (op.baseline !== undefined) assertFieldName(op.baseline, `In the ${where}, sum baseline key`);
  }
  if (patch.version) {
    assertFieldName(patch.version.key, `In the ${where}, source version key`);
    if (typeof patch.version.value !== 'string') throw new StoreInputError(`In the ${where}, the source version value must be a string`);
  }
  if (patch.createWith !== undefined) validateCreateWith(patch.createWith, where);
}

/** The profile a patch creates must be one a store can hold, since it is only built once writing has begun. */
function validateCreateWith(createWith: NonNullable<ProfilePatch['createWith']>, where: string): void {
  const { properties, consent, segments } = createWith;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw new StoreInputError(`In the ${where}, createWith needs an object of properties`);
  }
  for (const [name, values] of Object.entries(properties)) {
    assertFieldName(name, `In the ${where}, property name`);
    if (!Array.isArray(values) || !values.every(isPropertyValue)) {
      throw new StoreInputError(`In the ${where}, createWith gives ${name} something other than a list of strings, finite numbers or booleans`);
    }
  }
  if (!isTextList(consent?.objectives)) throw new StoreInputError(`In the ${where}, createWith needs consent.objectives, a list of texts`);
  if (segments !== undefined && !isTextList(segments)) throw new StoreInputError(`In the ${where}, createWith's segments must be a list of texts`);
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * What every store's `applyPatches` does around its own batch write: validates every patch first (a bad one
 * throws before anything is written), then hands the patches over in batches; the results keep the input order.
 */
export async function applyInBatches(
  patches: ProfilePatch[],
  batchSize: number,
  applyBatch: (batch: ProfilePatch[]) => Promise<PatchResult[]>,
): Promise<PatchResult[]> {
  patches.forEach(validatePatch);
  return inBatches(patches, batchSize, applyBatch);
}

/** Hands the patches to `applyBatch` `batchSize` at a time, one batch after the other; the results keep the input order. */
export async function inBatches(
  patches: ProfilePatch[],
  batchSize: number,
  applyBatch: (batch: ProfilePatch[]) => Promise<PatchResult[]>,
): Promise<PatchResult[]> {
  const results: PatchResult[] = [];
  for (let start = 0; start < patches.length; start += batchSize) results.push(...(await applyBatch(patches.slice(start, start + batchSize))));
  return results;
}

function isPropertyValue(value: unknown): value is PropertyValue {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
