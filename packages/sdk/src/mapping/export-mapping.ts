import { hash } from 'node:crypto';
import type { ExportGoal, ExportMapping, SegmentSelection } from '../config/generated-types.js';
import type { MemberPayload } from '../connector.js';
import { normalizeEmail, subscriberHash } from '../identifiers.js';
import type { Profile, PropertyValue } from '../profile.js';
import { audienceFieldHashText, memberInterests, memberPermissions } from './audience-field-mapping.js';
import { propertyValues } from './properties.js';

/** Longest text merge-field value, in bytes of UTF-8: Mailchimp truncates text fields there. */
export const MAX_FIELD_BYTES = 255;
/**
 * Longest tag name, in UTF-16 units. Mailchimp allows 100 characters: 100 units are at most 100 characters
 * however they are counted, and the sandbox counts units.
 */
export const MAX_TAG_LENGTH = 100;
const DEFAULT_SEPARATOR = ', ';

export interface Truncation {
  value: string;
  truncated: boolean;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `value` to at most `maxBytes` of UTF-8, never inside a grapheme cluster (a flag, an emoji sequence,
 * a letter and its accents), so Mailchimp keeps exactly what is sent.
 */
export function truncateText(value: string, maxBytes: number = MAX_FIELD_BYTES): Truncation {
  // A UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair 4 for 2): short text needs no count.
  if (value.length * 3 <= maxBytes) return { value, truncated: false };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= maxBytes) return { value, truncated: false };
  // Only ASCII text has one byte per unit: it is cut by position, without a segmenter.
  const cut = bytes === value.length ? asciiPrefix(value, maxBytes) : graphemePrefix(value, utf8PrefixLength(value, maxBytes));
  return { value: cut, truncated: true };
}

/** Cuts a tag name to MAX_TAG_LENGTH UTF-16 units, never inside a grapheme cluster. */
export function truncateTag(name: string): Truncation {
  if (name.length <= MAX_TAG_LENGTH) return { value: name, truncated: false };
  return { value: graphemePrefix(name, MAX_TAG_LENGTH), truncated: true };
}

/** The first `length` characters of ASCII text, never splitting CR LF, its only cluster of two characters. */
function asciiPrefix(text: string, length: number): string {
  const splitsCrLf = text.charCodeAt(length - 1) === 0x0d && text.charCodeAt(length) === 0x0a;
  return text.slice(0, splitsCrLf ? length - 1 : length);
}

/** `text` up to unit `end`, or up to the start of the grapheme cluster `end` falls inside. */
function graphemePrefix(text: string, end: number): string {
  // One lookup around the cut instead of a walk through every cluster before it.
  const cluster = graphemes.segment(text).containing(end);
  return text.slice(0, cluster && cluster.index < end ? cluster.index : end);
}

/** The UTF-16 length of the longest run of whole code points from the start of `text` within `maxBytes` of UTF-8. */
function utf8PrefixLength(text: string, maxBytes: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1));
    // A lone surrogate goes out as U+FFFD, 3 bytes, as Buffer encodes it.
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes > maxBytes) return i;
    if (pair) i += 1;
  }
  return text.length;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The member a profile becomes for an export goal. `truncated` counts the merge-field values cut to
 * MAX_FIELD_BYTES and the tag names cut to MAX_TAG_LENGTH.
 */
export function buildMemberPayload(
  profile: Profile,
  goal: Pick<ExportGoal, 'mappings' | 'segmentTags' | 'interests' | 'marketingPermissions'>,
  email: string,
): { payload: MemberPayload; truncated: number } {
  const mergeFields: Record<string, string> = {};
  let truncated = 0;
  for (const mapping of goal.mappings) {
    const cut = truncateText(mergeFieldValue(profile, mapping));
    mergeFields[mapping.to] = cut.value;
    if (cut.truncated) truncated += 1;
  }
  const tags = segmentTags(profile, goal.segmentTags);
  const payload: MemberPayload = {
    memberId: subscriberHash(email),
    email: normalizeEmail(email),
    mergeFields,
    tags: tags.names,
  };
  const interests = memberInterests(profile, goal.interests);
  if (interests) payload.interests = interests;
  const permissions = memberPermissions(profile, goal.marketingPermissions);
  if (permissions) payload.marketingPermissions = permissions;
  return { payload, truncated: truncated + tags.truncated };
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

/** The profile's segments as tag names, and how many of them were cut. */
function segmentTags(profile: Profile, tags: ExportGoal['segmentTags']): { names: string[]; truncated: number } {
  if (!tags) return { names: [], truncated: 0 };
  // Unique after cutting: two long names may share their first MAX_TAG_LENGTH units.
  const names = tags === 'all' ? profile.segments : selectSegments(profile.segments, tags);
  const unique = new Set<string>();
  let truncated = 0;
  for (const name of names) {
    const cut = truncateTag(name);
    unique.add(cut.value);
    if (cut.truncated) truncated += 1;
  }
  return { names: [...unique], truncated };
}

/**
 * A stable fingerprint of a payload (SHA-1 hex): independent of object key order and of tag order, which
 * carries no meaning for the member.
 */
export function payloadHash(payload: MemberPayload): string {
  // The payload's shape is fixed, so a canonical form is just its parts in a fixed order: merge fields sorted
  // by tag and tags sorted, each part JSON-quoted so no value can imitate a separator. It is hashed as the UTF-8
  // of that text, written straight into a reused buffer: built as a string, its pieces were a quarter of all the
  // memory an export allocates. The audience fields' text is taken first: while the buffer is written, nothing called
  // may hash another payload.
  const audienceFields = audienceFieldHashText(payload);
  const text = new CanonicalText();
  text.quoted(payload.memberId);
  text.quoted(payload.email);
  for (const tag of sortedInPlace(Object.keys(payload.mergeFields))) {
    text.byte(COMMA);
    text.quoted(tag);
    text.byte(COLON);
    text.quoted(payload.mergeFields[tag]);
  }
  text.byte(BAR);
  for (const tag of sortedInPlace(payload.tags.slice())) {
    text.byte(COMMA);
    text.quoted(tag);
  }
  text.utf8(audienceFields);
  return text.sha1();
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BAR = 0x7c;

/** One buffer for every fingerprint: a call writes its text from the start and hashes it before the next call. */
const SCRATCH_BYTES = 4096;
let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/** The canonical text of one fingerprint, as UTF-8 bytes in the shared buffer. */
class CanonicalText {
  private length = 0;

  byte(value: number): void {
    this.reserve(1);
    scratch[this.length++] = value;
  }

  /** JSON.stringify(text): printable ASCII, the usual case, is copied unit by unit; anything else is encoded. */
  quoted(text: string): void {
    this.reserve(text.length + 2);
    const start = this.length;
    scratch[this.length++] = QUOTE;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code > 0x7e || code === QUOTE || code === 0x5c) {
        this.length = start;
        this.utf8(quoted(text));
        return;
      }
      scratch[this.length++] = code;
    }
    scratch[this.length++] = QUOTE;
  }

  utf8(text: string): void {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    this.reserve(text.length * 3);
    this.length += scratch.write(text, this.length, 'utf8');
  }

  /** The digest of the text; a buffer grown for an unusually large payload is let go afterwards. */
  sha1(): string {
    const digest = hash('sha1', scratch.subarray(0, this.length), 'hex');
    if (scratch.length > 16 * SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
    return digest;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= scratch.length) return;
    const larger = Buffer.allocUnsafe(Math.max(scratch.length * 2, this.length + bytes));
    scratch.copy(larger, 0, 0, this.length);
    scratch = larger;
  }
}

/** Control characters, '"', '\\' and surrogates (JSON.stringify escapes lone ones): text holding any takes the full path. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPE = /[\x00-\x1f"\\\ud800-\udfff]/;

/** JSON.stringify of a string, without its cost when nothing needs escaping. */
function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
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
