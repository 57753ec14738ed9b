import { subscriberHash } from '../email.js';
import { memberView, updateMemberTags } from '../members.js';
import { invalidResource, notFound, validationError } from '../problem.js';
import { paginate, parseEnumParam, parsePage } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { ListRecord, ListTag } from '../store.js';
import { requireList } from './lists.js';

/** Members added or removed per request, each way. */
const MAX_SEGMENT_MEMBERS = 500;
const SEGMENT_TYPES = ['saved', 'static', 'fuzzy'] as const;
const NOT_IN_LIST = 'Email addresses not in the list';

function segmentView(list: ListRecord, name: string, tag: ListTag): Record<string, unknown> {
  const subscribed = [...list.members.values()].filter((member) => member.status === 'subscribed' && member.tags.some((held) => held.name === name));
  return {
    id: tag.id,
    name,
    member_count: subscribed.length,
    type: 'static',
    created_at: tag.created_at,
    // A tag cannot be renamed here, so the segment itself never changes after it is created.
    updated_at: tag.created_at,
    options: {},
    list_id: list.id,
    _links: [],
  };
}

function listSegments(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const type = parseEnumParam(context.query, 'type', SEGMENT_TYPES);
  // Every segment of the sandbox is a tag: there are no saved or fuzzy segments.
  const tags = type === undefined || type === 'static' ? [...list.tags] : [];
  return {
    segments: paginate(tags, parsePage(context.query)).map(([name, tag]) => segmentView(list, name, tag)),
    list_id: list.id,
    total_items: tags.length,
    _links: [],
  };
}

/** Tags whose name starts with `name`, ignoring case, as the spec describes the search. */
function searchTags(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const prefix = (context.query.get('name') ?? '').toLowerCase();
  const tags = [...list.tags].filter(([name]) => name.toLowerCase().startsWith(prefix)).map(([name, tag]) => ({ id: tag.id, name }));
  return { tags, total_items: tags.length };
}

function emailsOf(body: Record<string, unknown>, field: string): string[] {
  const value = body[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((email) => typeof email === 'string')) {
    throw validationError(field, 'Schema describes array of strings');
  }
  if (value.length > MAX_SEGMENT_MEMBERS) {
    throw invalidResource(`You can only add or remove up to ${MAX_SEGMENT_MEMBERS} members per request.`, [
      { field, message: `${value.length} members sent; the maximum is ${MAX_SEGMENT_MEMBERS}` },
    ]);
  }
  return value;
}

/** POST /lists/{list_id}/segments/{segment_id}: puts the tag on members or takes it off, in bulk. */
function changeSegmentMembers(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const name = [...list.tags].find(([, tag]) => String(tag.id) === context.params.segment_id)?.[0];
  if (name === undefined) throw notFound();
  const body = (context.body ?? {}) as Record<string, unknown>;
  const toAdd = emailsOf(body, 'members_to_add');
  const toRemove = emailsOf(body, 'members_to_remove');
  const notInList: string[] = [];
  /** The members whose tags changed; those that already had (or lacked) the tag are left as they are. */
  const change = (emails: string[], active: boolean): Record<string, unknown>[] =>
    emails.flatMap((email) => {
      const member = list.members.get(subscriberHash(email));
      // Archived contacts are outside the audience (the spec's statuses for these members exclude `archived`).
      if (!member || member.status === 'archived') {
        notInList.push(email);
        return [];
      }
      if (member.tags.some((tag) => tag.name === name) === active) return [];
      return [memberView(list, updateMemberTags(context.store, list, member, [{ name, active }]))];
    });
  const added = change(toAdd, true);
  const removed = change(toRemove, false);
  return {
    members_added: added,
    members_removed: removed,
    errors: notInList.length > 0 ? [{ email_addresses: notInList, error: NOT_IN_LIST }] : [],
    total_added: added.length,
    total_removed: removed.length,
    error_count: notInList.length,
    _links: [],
  };
}

export const segmentRoutes: Route[] = [
  { method: 'GET', template: '/lists/{list_id}/tag-search', handle: (context) => ({ status: 200, body: searchTags(context) }) },
  { method: 'GET', template: '/lists/{list_id}/segments', handle: (context) => ({ status: 200, body: listSegments(context) }) },
  { method: 'POST', template: '/lists/{list_id}/segments/{segment_id}', handle: (context) => ({ status: 200, body: changeSegmentMembers(context) }) },
];
