import { hash } from 'node:crypto';
import type { ExportGoal, ExportMapping, SegmentSelection } from '../config/generated-types.js';
import type { MemberPayload } from '../connector.js';
import { normalizeEmail, subscriberHash } from '../identifiers.js';
import type { Profile, PropertyValue } from '../profile.js';
import { propertyValues } from './properties.js';

/** Longest merge-field value, in characters (Mailchimp truncates text fields there). */
export const MAX_FIELD_LENGTH = 255;
/** Longest Mailchimp tag name. */
export const MAX_TAG_LENGTH = 100;
const DEFAULT_SEPARATOR = ', ';

/**
 * Cuts `value` to `max` characters counted as code points, so a surrogate pair (an emoji) counts as one and
 * is never split.
 */
export function truncateText(value: string, max: number = MAX_FIELD_LENGTH): { value: string; truncated: boolean } {
  // A string's UTF-16 length is never below its code-point count: the short case needs no scan.
  if (value.length <= max) return { value, truncated: false };
  const codePoints = Array.from(value);
  if (codePoints.length <= max) return { value, truncated: false };
  return { value: codePoints.slice(0, max).join(''), truncated: true };
}

/**
 * The member a profile becomes for an export goal. `truncated` counts the merge-field values cut to
 * MAX_FIELD_LENGTH; tags are cut to MAX_TAG_LENGTH without being counted.
 */
export function buildMemberPayload(
  profile: Profile,
  goal: Pick<ExportGoal, 'mappings' | 'segmentTags'>,
  email: string,
): { payload: MemberPayload; truncated: number } {
  const mergeFields: Record<string, string> = {};
  let truncated = 0;
  for (const mapping of goal.mappings) {
    const cut = truncateText(mergeFieldValue(profile, mapping));
    mergeFields[mapping.to] = cut.value;
    if (cut.truncated) truncated += 1;
  }
  const payload: MemberPayload = {
    memberId: subscriberHash(email),
    email: normalizeEmail(email),
    mergeFields,
    tags: segmentTags(profile, goal.segmentTags),
  };
  return { payload, truncated };
}

function mergeFieldValue(profile: Profile, mapping: ExportMapping): string {
  switch (mapping.source) {
    case 'text':
      return mapping.text;
    case 'profileId':
      return profile.id;
    case 'permissionLevel':
      return profile.permissionLevel ?? '';
    case 'property':
      return joinValues(propertyValues(profile.properties, mapping.property) ?? [], mapping.separator);
    case 'segments':
      return join(selectSegments(profile.segments, mapping.select), mapping.separator);
    case 'lifecycles':
      return join(
        profile.lifecycles.map(({ lifecycle, stage }) => `${lifecycle}:${stage}`),
        mapping.separator,
      );
    case 'viewedInteractions':
      return join(profile.viewedInteractions, mapping.separator);
  }
}

function join(values: string[], separator: string = DEFAULT_SEPARATOR): string {
  return values.join(separator);
}

/** Property values as text (String() of each), joined; a lone value, the usual case, builds no array. */
function joinValues(values: PropertyValue[], separator: string = DEFAULT_SEPARATOR): string {
  if (values.length === 1) return String(values[0]);
  return values.map(String).join(separator);
}

/**
 * The profile's segments as exported names: all of them, or those of the selection the profile is in (in
 * selection order, renamed by `as`). Names are unique.
 */
function selectSegments(segments: string[], selection?: SegmentSelection): string[] {
  if (!selection) return [...new Set(segments)];
  const member = new Set(segments);
  const names = selection.filter(({ segment }) => member.has(segment)).map(({ segment, as }) => as ?? segment);
  return [...new Set(names)];
}

function segmentTags(profile: Profile, tags: ExportGoal['segmentTags']): string[] {
  if (!tags) return [];
  // Unique after cutting: two long names may share their first MAX_TAG_LENGTH characters.
  const names = tags === 'all' ? profile.segments : selectSegments(profile.segments, tags);
  const unique = new Set<string>();
  for (const name of names) unique.add(truncateText(name, MAX_TAG_LENGTH).value);
  return [...unique];
}

/**
 * A stable fingerprint of a payload (SHA-1 hex): independent of object key order and of tag order, which
 * carries no meaning for the member.
 */
export function payloadHash(payload: MemberPayload): string {
  // The payload's shape is fixed, so a canonical form is just its parts in a fixed order: merge fields sorted
  // by tag and tags sorted, each part JSON-quoted so no value can imitate a separator.
  const parts = [quoted(payload.memberId), quoted(payload.email)];
  for (const tag of sortedInPlace(Object.keys(payload.mergeFields))) parts.push(`,${quoted(tag)}:${quoted(payload.mergeFields[tag])}`);
  parts.push('|');
  for (const tag of sortedInPlace(payload.tags.slice())) parts.push(`,${quoted(tag)}`);
  return hash('sha1', parts.join(''), 'hex');
}

/** JSON.stringify of a string, without its cost when nothing needs escaping (the usual case). */
function quoted(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Control characters, '"', '\\' and surrogates (JSON.stringify escapes lone ones) take the full path.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/**
 * Sorts a few strings by UTF-16 code units, the order of Array.prototype.sort without a comparator, by
 * insertion: the built-in sort allocates work space on every call, which costs more than it saves here.
 */
function sortedInPlace(texts: string[]): string[] {
  for (let i = 1; i < texts.length; i++) {
    const text = texts[i];
    let j = i - 1;
    for (; j >= 0 && texts[j] > text; j--) texts[j + 1] = texts[j];
    texts[j + 1] = text;
  }
  return texts;
}
