import { nextChangeTimestamp, nowTimestamp } from './clock.js';
import { fakeEmailDetail, looksLikeRealEmail, subscriberHash } from './email.js';
import { mergeFieldsView, normalizeMergeValues } from './merge-fields.js';
import { ApiError, invalidResource, validationError } from './problem.js';
import type { ListRecord, MemberRecord, SandboxStore } from './store.js';
import type { MemberStatus, WritableStatus } from './types.js';

export const WRITABLE_STATUSES: readonly WritableStatus[] = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional'];
export const MAX_TAG_NAME_LENGTH = 100;
const MEMBER_TAGS_SHOWN = 50;

/** The part of a member body the sandbox stores (other Mailchimp fields are accepted and ignored). */
export interface MemberWrite {
  status?: WritableStatus;
  merge_fields?: unknown;
  email_type?: unknown;
  language?: unknown;
  vip?: unknown;
  interests?: unknown;
  /** `[{ marketing_permission_id, enabled }]`: only the single-member endpoints take it, as in Mailchimp's spec. */
  marketing_permissions?: unknown;
  tags?: string[];
  /** Replace the member's tags with `tags` instead of adding them. */
  replaceTags?: boolean;
  skipMergeValidation?: boolean;
}

export function parseStatus(value: unknown, field: string, allowed: readonly string[] = WRITABLE_STATUSES): WritableStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw validationError(field, `Value must be one of: ${allowed.join(', ')}`);
  }
  return value as WritableStatus;
}

export function requireEmail(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw validationError('email_address', 'This value should not be blank.');
  }
  const email = value.trim();
  if (!looksLikeRealEmail(email)) throw invalidResource(fakeEmailDetail(email));
  return email;
}

export function parseTags(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string' && tag.trim() !== '' && tag.length <= MAX_TAG_NAME_LENGTH)) {
    throw validationError('tags', `Tags must be non-empty names of at most ${MAX_TAG_NAME_LENGTH} characters`);
  }
  return value.map((tag: string) => tag.trim());
}

export function assertNotForgotten(list: ListRecord, email: string): void {
  if (list.forgotten.size > 0 && list.forgotten.has(subscriberHash(email))) {
    throw new ApiError(400, 'Forgotten Email Not Subscribed',
      `${email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`);
  }
}

export function memberExists(email: string): ApiError {
  return new ApiError(400, 'Member Exists', `${email} is already a list member. Use PUT to insert or update list members.`);
}

/** Refuses moving an unsubscribed or cleaned member (archived ones included) back to subscribed. */
function assertStatusChangeAllowed(member: MemberRecord, next: WritableStatus): void {
  const effective: MemberStatus = member.status === 'archived' ? member.statusBeforeArchive ?? 'archived' : member.status;
  if (next === 'subscribed' && (effective === 'unsubscribed' || effective === 'cleaned')) {
    throw new ApiError(400, 'Member In Compliance State',
      `${member.email_address} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`);
  }
}

/** Finds a member by subscriber hash, raw email or contact id, as Mailchimp accepts all three. */
export function findMember(list: ListRecord, key: string): MemberRecord | undefined {
  const byHash = list.members.get(key.toLowerCase()) ?? list.members.get(subscriberHash(key));
  return byHash ?? [...list.members.values()].find((member) => member.contact_id === key);
}

/**
 * Applies a write to a new or existing member. Everything is checked before anything changes, so a
 * refused write leaves the member untouched. Returns the stored member.
 */
export function writeMember(store: SandboxStore, list: ListRecord, email: string, existing: MemberRecord | undefined, write: MemberWrite): MemberRecord {
  assertNotForgotten(list, email);
  if (!existing && !write.status) {
    throw validationError('status', 'status is required for new members');
  }
  if (existing && write.status) assertStatusChangeAllowed(existing, write.status);
  const mergeValues = normalizeMergeValues(list.mergeFields, write.merge_fields, {
    creating: !existing, skipValidation: write.skipMergeValidation ?? false, current: existing?.merge_fields,
  });

  const before = existing ?? store.newMember(list, email);
  const next: MemberRecord = { ...before, merge_fields: mergeValues, tags: nextTags(store, list, before, write) };
  if (typeof write.email_type === 'string') next.email_type = write.email_type;
  if (typeof write.language === 'string') next.language = write.language;
  if (typeof write.vip === 'boolean') next.vip = write.vip;
  if (write.interests !== undefined) next.interests = { ...before.interests, ...parseInterests(list, write.interests) };
  if (write.marketing_permissions !== undefined) next.marketingPermissions = { ...before.marketingPermissions, ...parsePermissions(list, write.marketing_permissions) };
  if (write.status) applyStatus(store, list, before, next, write.status, !existing);

  if (existing && sameContent(existing, next)) return existing;
  next.last_changed = nextChangeTimestamp(existing?.last_changed);
  list.members.set(next.id, next);
  return next;
}

function applyStatus(store: SandboxStore, list: ListRecord, before: MemberRecord, next: MemberRecord, status: WritableStatus, creating: boolean): void {
  const now = nowTimestamp();
  if (status === before.status && !creating) return;
  next.status = status;
  delete next.statusBeforeArchive;
  if (status === 'subscribed') next.timestamp_opt = now;
  if (status === 'pending') {
    next.timestamp_signup = now;
    store.confirmationEmails.push({ list_id: list.id, email_address: next.email_address, sent_at: now });
  }
}

function nextTags(store: SandboxStore, list: ListRecord, member: MemberRecord, write: MemberWrite): MemberRecord['tags'] {
  if (!write.tags) return member.tags;
  const kept = write.replaceTags ? member.tags.filter((tag) => write.tags?.includes(tag.name)) : [...member.tags];
  const now = nowTimestamp();
  for (const name of write.tags) {
    if (!kept.some((tag) => tag.name === name)) kept.push({ id: store.tagId(list, name), name, date_added: now });
  }
  return kept;
}

/** Applies `{name, status: active|inactive}` changes (POST .../tags, static segments); returns the stored member. */
export function updateMemberTags(store: SandboxStore, list: ListRecord, member: MemberRecord, changes: { name: string; active: boolean }[]): MemberRecord {
  const now = nowTimestamp();
  let tags = [...member.tags];
  for (const change of changes) {
    const present = tags.some((tag) => tag.name === change.name);
    if (change.active && !present) tags.push({ id: store.tagId(list, change.name), name: change.name, date_added: now });
    if (!change.active && present) tags = tags.filter((tag) => tag.name !== change.name);
  }
  if (sameContent(member, { ...member, tags })) return member;
  const changed = { ...member, tags, last_changed: nextChangeTimestamp(member.last_changed) };
  list.members.set(member.id, changed);
  return changed;
}

export function archiveMember(list: ListRecord, member: MemberRecord): void {
  if (member.status === 'cleaned' || member.status === 'pending' || member.status === 'archived') {
    throw new ApiError(405, 'Method Not Allowed',
      'This list member cannot be removed. Can not archive a contact that is bounced, pending or archived',
      undefined, { Allow: 'GET, PUT' });
  }
  list.members.set(member.id, {
    ...member, status: 'archived', statusBeforeArchive: member.status, last_changed: nextChangeTimestamp(member.last_changed),
  });
}

export function deleteMemberPermanently(list: ListRecord, member: MemberRecord): void {
  list.members.delete(member.id);
  list.forgotten.add(member.id);
}

/** pending → subscribed: the person clicked the confirmation email. */
export function confirmMember(list: ListRecord, member: MemberRecord): void {
  if (member.status !== 'pending') throw new Error(`${member.email_address} is ${member.status}, not pending`);
  const now = nowTimestamp();
  list.members.set(member.id, { ...member, status: 'subscribed', timestamp_opt: now, last_changed: nextChangeTimestamp(member.last_changed) });
}

export function memberView(list: ListRecord, member: MemberRecord): Record<string, unknown> {
  const firstName = String(member.merge_fields.FNAME ?? '');
  const lastName = String(member.merge_fields.LNAME ?? '');
  return {
    id: member.id,
    email_address: member.email_address,
    unique_email_id: member.unique_email_id,
    contact_id: member.contact_id,
    full_name: `${firstName} ${lastName}`.trim(),
    web_id: member.web_id,
    email_type: member.email_type,
    status: member.status,
    unsubscribe_reason: member.status === 'unsubscribed' ? 'N/A (Unsubscribed by an admin)' : '',
    consents_to_one_to_one_messaging: true,
    merge_fields: mergeFieldsView(list.mergeFields, member.merge_fields),
    interests: Object.fromEntries([...list.interestCategories.values()].flatMap((category) =>
      [...category.interests.keys()].map((id) => [id, member.interests[id] ?? false]))),
    stats: { avg_open_rate: 0, avg_click_rate: 0 },
    ip_signup: member.ip_signup,
    timestamp_signup: member.timestamp_signup,
    ip_opt: member.ip_opt,
    timestamp_opt: member.timestamp_opt,
    member_rating: 2,
    last_changed: member.last_changed,
    language: member.language,
    vip: member.vip,
    email_client: '',
    location: { latitude: 0, longitude: 0, gmtoff: 0, dstoff: 0, country_code: '', timezone: '', region: '' },
    marketing_permissions: list.marketingPermissions.map(({ marketing_permission_id, text }) => ({
      marketing_permission_id, text, enabled: member.marketingPermissions[marketing_permission_id] ?? false,
    })),
    last_note: {},
    source: member.source,
    tags_count: member.tags.length,
    tags: member.tags.slice(0, MEMBER_TAGS_SHOWN).map(({ id, name }) => ({ id, name })),
    list_id: list.id,
    _links: [],
  };
}

/** Interest ids of the list mapped to true or false; an id the list lacks is refused, as Mailchimp does. */
function parseInterests(list: ListRecord, value: unknown): Record<string, boolean> {
  if (!isBooleanMap(value)) throw validationError('interests', 'Interests must map interest ids to true or false');
  const known = new Set([...list.interestCategories.values()].flatMap((category) => [...category.interests.keys()]));
  const unknown = Object.keys(value).find((id) => !known.has(id));
  if (unknown !== undefined) throw invalidResource(`Invalid interest ID: '${unknown}'.`);
  return value;
}

/** `[{ marketing_permission_id, enabled }]` for permissions of the list; anything else is refused before a change. */
function parsePermissions(list: ListRecord, value: unknown): Record<string, boolean> {
  const valid = Array.isArray(value) && value.every((entry) =>
    typeof entry === 'object' && entry !== null && typeof entry.marketing_permission_id === 'string' && typeof entry.enabled === 'boolean');
  if (!valid) throw validationError('marketing_permissions', 'Each marketing permission needs a marketing_permission_id and enabled (true or false)');
  const known = new Set(list.marketingPermissions.map((p) => p.marketing_permission_id));
  const entries = value as { marketing_permission_id: string; enabled: boolean }[];
  const unknown = entries.find((entry) => !known.has(entry.marketing_permission_id));
  if (unknown) {
    throw invalidResource(`The marketing permission ${unknown.marketing_permission_id} does not exist for this list.`, [
      { field: 'marketing_permissions', message: `Unknown marketing_permission_id ${unknown.marketing_permission_id}` },
    ]);
  }
  return Object.fromEntries(entries.map((entry) => [entry.marketing_permission_id, entry.enabled]));
}

function isBooleanMap(value: unknown): value is Record<string, boolean> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    && Object.values(value).every((entry) => typeof entry === 'boolean');
}

function sameContent(a: MemberRecord, b: MemberRecord): boolean {
  const content = (member: MemberRecord): string => JSON.stringify({ ...member, last_changed: '' });
  return content(a) === content(b);
}
