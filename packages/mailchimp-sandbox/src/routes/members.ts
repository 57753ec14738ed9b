import { storedSeconds } from '../clock.js';
import { subscriberHash } from '../email.js';
import {
  archiveMember, deleteMemberPermanently, findMember, memberExists, memberView, parseStatus, parseTags, requireEmail,
  updateMemberTags, writeMember, MAX_TAG_NAME_LENGTH, type MemberWrite,
} from '../members.js';
import { notFound, validationError } from '../problem.js';
import { paginate, parseBooleanParam, parseEnumParam, parsePage, parseTimeParam } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { ListRecord, MemberRecord } from '../store.js';
import type { MemberStatus } from '../types.js';
import { requireList } from './lists.js';

const READ_STATUSES: readonly MemberStatus[] = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived'];
const SORT_FIELDS = ['last_changed', 'timestamp_opt', 'timestamp_signup'] as const;
const PATCH_STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending'];

function requireMember(context: RouteContext): { list: ListRecord; member: MemberRecord } {
  const list = requireList(context);
  const member = findMember(list, context.params.subscriber_hash);
  if (!member) throw notFound();
  return { list, member };
}

function bodyOf(context: RouteContext): Record<string, unknown> {
  const body = context.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError('', 'Schema describes object');
  }
  return body as Record<string, unknown>;
}

/** The member fields common to POST, PUT and PATCH bodies. */
function memberWrite(context: RouteContext, body: Record<string, unknown>): MemberWrite {
  return {
    merge_fields: body.merge_fields,
    email_type: body.email_type,
    language: body.language,
    vip: body.vip,
    interests: body.interests,
    marketing_permissions: body.marketing_permissions,
    skipMergeValidation: parseBooleanParam(context.query, 'skip_merge_validation'),
  };
}

function listMembers(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const { query } = context;
  const status = parseEnumParam(query, 'status', READ_STATUSES);
  const since = parseTimeParam(query, 'since_last_changed');
  const before = parseTimeParam(query, 'before_last_changed');
  const sinceOpt = parseTimeParam(query, 'since_timestamp_opt');
  const beforeOpt = parseTimeParam(query, 'before_timestamp_opt');
  const sortField = parseEnumParam(query, 'sort_field', SORT_FIELDS);
  const descending = parseEnumParam(query, 'sort_dir', ['ASC', 'DESC'] as const) === 'DESC';
  const page = parsePage(query);
  const emailType = query.get('email_type');
  const vipOnly = parseBooleanParam(query, 'vip_only');

  let members = [...list.members.values()].filter((member) =>
    (status ? member.status === status : context.settings.archivedInDefaultListing || member.status !== 'archived')
    && (since === undefined || storedSeconds(member.last_changed) > since)
    && (before === undefined || storedSeconds(member.last_changed) < before)
    && (sinceOpt === undefined || storedSeconds(member.timestamp_opt) > sinceOpt)
    && (beforeOpt === undefined || storedSeconds(member.timestamp_opt) < beforeOpt)
    && (!emailType || member.email_type === emailType)
    && (!vipOnly || member.vip));
  if (sortField) {
    // Array.prototype.sort is stable, so ties keep the insertion order. Each member's key is read once.
    const direction = descending ? -1 : 1;
    members = members
      .map((member) => ({ member, key: storedSeconds(member[sortField]) }))
      .sort((a, b) => direction * (a.key - b.key))
      .map(({ member }) => member);
  }
  return {
    members: paginate(members, page).map((member) => memberView(list, member)),
    list_id: list.id,
    total_items: members.length,
    _links: [],
  };
}

function addMember(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const body = bodyOf(context);
  const email = requireEmail(body.email_address);
  const status = parseStatus(body.status, 'status');
  if (!status) throw validationError('status', 'This value should not be blank.');
  if (list.members.has(subscriberHash(email))) throw memberExists(email);
  const member = writeMember(context.store, list, email, undefined, { ...memberWrite(context, body), status, tags: parseTags(body.tags) });
  return memberView(list, member);
}

function upsertMember(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const body = bodyOf(context);
  const email = requireEmail(body.email_address);
  const key = context.params.subscriber_hash;
  const existing = findMember(list, key);
  const target = existing?.id ?? (key.includes('@') ? subscriberHash(key) : key.toLowerCase());
  if (target !== subscriberHash(email)) {
    throw validationError('email_address', 'The email address does not match the subscriber hash in the URL.');
  }
  const statusIfNew = parseStatus(body.status_if_new, 'status_if_new');
  const status = parseStatus(body.status, 'status');
  const member = writeMember(context.store, list, email, existing, { ...memberWrite(context, body), status: existing ? status : statusIfNew ?? status });
  return memberView(list, member);
}

function patchMember(context: RouteContext): Record<string, unknown> {
  const { list, member } = requireMember(context);
  const body = bodyOf(context);
  if (body.email_address !== undefined && subscriberHash(requireEmail(body.email_address)) !== member.id) {
    throw validationError('email_address', 'Changing a member\'s email address is not supported by the sandbox.');
  }
  const status = parseStatus(body.status, 'status', PATCH_STATUSES);
  return memberView(list, writeMember(context.store, list, member.email_address, member, { ...memberWrite(context, body), status }));
}

function memberTags(context: RouteContext): Record<string, unknown> {
  const { member } = requireMember(context);
  return {
    tags: paginate(member.tags, parsePage(context.query)),
    total_items: member.tags.length,
    _links: [],
  };
}

function changeMemberTags(context: RouteContext): void {
  const { list, member } = requireMember(context);
  const tags = bodyOf(context).tags;
  const valid = Array.isArray(tags) && tags.every((tag) =>
    typeof tag?.name === 'string' && tag.name.trim() !== '' && tag.name.length <= MAX_TAG_NAME_LENGTH
    && (tag.status === 'active' || tag.status === 'inactive'));
  if (!valid) {
    throw validationError('tags', `Each tag needs a name (at most ${MAX_TAG_NAME_LENGTH} characters) and a status of active or inactive`);
  }
  updateMemberTags(context.store, list, member, tags.map((tag: { name: string; status: string }) => ({ name: tag.name.trim(), active: tag.status === 'active' })));
}

const MEMBER = '/lists/{list_id}/members/{subscriber_hash}';

export const memberRoutes: Route[] = [
  { method: 'GET', template: '/lists/{list_id}/members', handle: (context) => ({ status: 200, body: listMembers(context) }) },
  { method: 'POST', template: '/lists/{list_id}/members', handle: (context) => ({ status: 200, body: addMember(context) }) },
  {
    method: 'GET', template: MEMBER, handle: (context) => {
      const { list, member } = requireMember(context);
      return { status: 200, body: memberView(list, member) };
    },
  },
  { method: 'PUT', template: MEMBER, handle: (context) => ({ status: 200, body: upsertMember(context) }) },
  { method: 'PATCH', template: MEMBER, handle: (context) => ({ status: 200, body: patchMember(context) }) },
  {
    method: 'DELETE', template: MEMBER, handle: (context) => {
      const { list, member } = requireMember(context);
      archiveMember(list, member);
      return { status: 204 };
    },
  },
  {
    method: 'POST', template: `${MEMBER}/actions/delete-permanent`, handle: (context) => {
      const { list, member } = requireMember(context);
      deleteMemberPermanently(list, member);
      return { status: 204 };
    },
  },
  { method: 'GET', template: `${MEMBER}/tags`, handle: (context) => ({ status: 200, body: memberTags(context) }) },
  { method: 'POST', template: `${MEMBER}/tags`, handle: (context) => { changeMemberTags(context); return { status: 204 }; } },
];
