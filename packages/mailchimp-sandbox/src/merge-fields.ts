import { invalidResource, validationError } from './problem.js';
import type { MergeFieldType, SeedMergeField } from './types.js';

export interface MergeField {
  merge_id: number;
  tag: string;
  name: string;
  type: MergeFieldType;
  required: boolean;
  default_value: string;
  public: boolean;
  display_order: number;
  options: Record<string, unknown>;
  help_text: string;
}

export const MERGE_FIELD_TYPES: readonly MergeFieldType[] = [
  'text', 'number', 'address', 'phone', 'date', 'url', 'imageurl', 'radio', 'dropdown', 'birthday', 'zip',
];
export const MAX_TAG_LENGTH = 10;
export const MAX_TEXT_BYTES = 255;

export const DEFAULT_MERGE_FIELDS: SeedMergeField[] = [
  { tag: 'FNAME', name: 'First Name', type: 'text' },
  { tag: 'LNAME', name: 'Last Name', type: 'text' },
  { tag: 'ADDRESS', name: 'Address', type: 'address' },
  { tag: 'PHONE', name: 'Phone Number', type: 'phone' },
];

export function buildMergeField(seed: SeedMergeField, mergeId: number): MergeField {
  return {
    merge_id: mergeId,
    tag: seed.tag,
    name: seed.name,
    type: seed.type,
    required: seed.required ?? false,
    default_value: '',
    public: true,
    display_order: mergeId + 1,
    options: { ...seed.options },
    help_text: '',
  };
}

/**
 * Cuts a string to at most `maxBytes` of UTF-8, as Mailchimp does to text values. Where Mailchimp cuts inside
 * a multi-byte character is undocumented: this keeps the last whole code point that fits, which can split a
 * grapheme cluster (a flag, an emoji sequence) as a byte limit would.
 */
export function truncateToBytes(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return value.slice(0, end);
}

type FieldError = { field: string; message: string };

/** Checks one value against its field's type; returns the value to store or a message. */
function normalizeValue(field: MergeField, value: unknown): { value: unknown } | { message: string } {
  if (value === '' || value === null) return { value: '' };
  switch (field.type) {
    case 'number': {
      const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      return Number.isFinite(number) ? { value: number } : { message: 'Please enter a number' };
    }
    case 'address': {
      if (typeof value !== 'object' || Array.isArray(value)) return { message: 'Please enter a complete address' };
      const address = value as Record<string, unknown>;
      const complete = ['addr1', 'city', 'state', 'zip'].every((key) => typeof address[key] === 'string');
      return complete ? { value: { addr2: '', country: 'US', ...address } } : { message: 'Please enter a complete address' };
    }
    case 'radio':
    case 'dropdown': {
      const choices = Array.isArray(field.options.choices) ? (field.options.choices as unknown[]) : [];
      return choices.includes(value) ? { value } : { message: 'Please choose one of the options' };
    }
    default: {
      if (typeof value !== 'string' && typeof value !== 'number') return { message: 'Please enter a value' };
      return { value: truncateToBytes(String(value), MAX_TEXT_BYTES) };
    }
  }
}

/**
 * Validates merge values of a member write and returns the values to store. Unknown tags and bad values
 * are always refused; missing required fields only when creating without skip_merge_validation.
 */
export function normalizeMergeValues(
  fields: MergeField[],
  input: unknown,
  options: { creating: boolean; skipValidation: boolean; current?: Record<string, unknown> },
): Record<string, unknown> {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw validationError('merge_fields', 'Schema describes object, array found instead');
  }
  const values = (input ?? {}) as Record<string, unknown>;
  const byTag = new Map(fields.map((field) => [field.tag, field]));
  const errors: FieldError[] = [];
  const stored: Record<string, unknown> = { ...options.current };
  for (const [tag, value] of Object.entries(values)) {
    const field = byTag.get(tag);
    if (!field) {
      errors.push({ field: tag, message: `Merge field "${tag}" does not exist on this audience` });
      continue;
    }
    const result = normalizeValue(field, value);
    if ('message' in result) errors.push({ field: tag, message: result.message });
    else stored[tag] = result.value;
  }
  if (options.creating && !options.skipValidation) {
    for (const field of fields) {
      if (field.required && (stored[field.tag] === undefined || stored[field.tag] === '')) {
        errors.push({ field: field.tag, message: 'Please enter a value' });
      }
    }
  }
  if (errors.length > 0) throw invalidResource('Your merge fields were invalid.', errors);
  return stored;
}

/** Every field of the list, empty when the member has no value, as Mailchimp shows them. */
export function mergeFieldsView(fields: MergeField[], values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field.tag, values[field.tag] ?? '']));
}
