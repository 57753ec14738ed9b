import { buildMergeField, MAX_TAG_LENGTH, MERGE_FIELD_TYPES } from '../merge-fields.js';
import { invalidResource, notFound, NOT_VALIDATED } from '../problem.js';
import { paginate, parseBooleanParam, parsePage } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { ListRecord } from '../store.js';
import type { MergeFieldType } from '../types.js';

export function requireList(context: RouteContext): ListRecord {
  const list = context.store.list(context.params.list_id);
  if (!list) throw notFound();
  return list;
}

function listView(list: ListRecord): Record<string, unknown> {
  // One pass over the members: a run looks its audiences up, however many members they hold, and the sandbox
  // answers one request at a time.
  const statuses = new Map<string, number>();
  for (const { status } of list.members.values()) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const count = (status: string): number => statuses.get(status) ?? 0;
  return {
    id: list.id,
    web_id: list.web_id,
    name: list.name,
    contact: { company: 'Sandbox', address1: '1 Loopback Way', address2: '', city: 'Localhost', state: '', zip: '00000', country: 'US', phone: '' },
    permission_reminder: 'You signed up for updates.',
    use_archive_bar: false,
    campaign_defaults: { from_name: 'Sandbox', from_email: 'sandbox@mailchimp-sandbox.local', subject: '', language: 'en' },
    notify_on_subscribe: '',
    notify_on_unsubscribe: '',
    date_created: list.date_created,
    list_rating: 0,
    email_type_option: false,
    subscribe_url_short: '',
    subscribe_url_long: '',
    beamer_address: '',
    visibility: 'prv',
    double_optin: list.double_optin,
    has_welcome: false,
    marketing_permissions: list.marketingPermissions.length > 0,
    modules: [],
    stats: {
      member_count: count('subscribed'),
      total_contacts: list.members.size,
      unsubscribe_count: count('unsubscribed'),
      cleaned_count: count('cleaned'),
      member_count_since_send: 0,
      unsubscribe_count_since_send: 0,
      cleaned_count_since_send: 0,
      campaign_count: 0,
      merge_field_count: list.mergeFields.length,
      avg_sub_rate: 0,
      avg_unsub_rate: 0,
      target_sub_rate: 0,
      open_rate: 0,
      click_rate: 0,
    },
    _links: [],
  };
}

function mergeFieldView(list: ListRecord, field: ListRecord['mergeFields'][number]): Record<string, unknown> {
  return { ...field, list_id: list.id, _links: [] };
}

function createMergeField(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const body = (context.body ?? {}) as Record<string, unknown>;
  const errors: { field: string; message: string }[] = [];
  if (typeof body.name !== 'string' || body.name.trim() === '') errors.push({ field: 'name', message: 'This value should not be blank.' });
  if (typeof body.type !== 'string' || !MERGE_FIELD_TYPES.includes(body.type as MergeFieldType)) {
    errors.push({ field: 'type', message: `Value must be one of: ${MERGE_FIELD_TYPES.join(', ')}` });
  }
  const tag = body.tag === undefined || body.tag === '' ? `MMERGE${list.nextMergeId}` : body.tag;
  if (typeof tag !== 'string' || !/^[A-Za-z0-9_]+$/.test(tag) || tag.length > MAX_TAG_LENGTH) {
    errors.push({ field: 'tag', message: `Merge tags are letters, digits and underscores, at most ${MAX_TAG_LENGTH} characters` });
  } else if (list.mergeFields.some((field) => field.tag === tag.toUpperCase())) {
    errors.push({ field: 'tag', message: `A merge field with the tag "${tag.toUpperCase()}" already exists for this list.` });
  }
  if (errors.length > 0) throw invalidResource(NOT_VALIDATED, errors);
  const field = buildMergeField({
    tag: (tag as string).toUpperCase(),
    name: body.name as string,
    type: body.type as MergeFieldType,
    required: body.required === true,
    options: typeof body.options === 'object' && body.options !== null ? (body.options as Record<string, unknown>) : {},
  }, list.nextMergeId++);
  list.mergeFields.push(field);
  return mergeFieldView(list, field);
}

/** PATCH of a merge field: name, required, and options (choices and the like); the type and tag stay. */
function updateMergeField(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const field = list.mergeFields.find((candidate) => String(candidate.merge_id) === context.params.merge_id);
  if (!field) throw notFound();
  const body = (context.body ?? {}) as Record<string, unknown>;
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.trim() === '')) {
    throw invalidResource(NOT_VALIDATED, [{ field: 'name', message: 'This value should not be blank.' }]);
  }
  if (typeof body.name === 'string') field.name = body.name;
  if (typeof body.required === 'boolean') field.required = body.required;
  if (typeof body.options === 'object' && body.options !== null) field.options = { ...field.options, ...(body.options as Record<string, unknown>) };
  return mergeFieldView(list, field);
}

export const listRoutes: Route[] = [
  { method: 'GET', template: '/ping', handle: () => ({ status: 200, body: { health_status: "Everything's Chimpy!" } }) },
  {
    method: 'GET', template: '/lists', handle: ({ store, query }) => {
      const lists = [...store.lists.values()];
      return {
        status: 200,
        body: { lists: paginate(lists, parsePage(query)).map(listView), total_items: lists.length, constraints: { may_create: true, max_instances: 100, current_total_instances: lists.length }, _links: [] },
      };
    },
  },
  { method: 'GET', template: '/lists/{list_id}', handle: (context) => ({ status: 200, body: listView(requireList(context)) }) },
  {
    method: 'GET', template: '/lists/{list_id}/merge-fields', handle: (context) => {
      const list = requireList(context);
      const type = context.query.get('type');
      const fields = list.mergeFields
        .filter((field) => !type || field.type === type)
        .filter((field) => !context.query.has('required') || field.required === parseBooleanParam(context.query, 'required'));
      return {
        status: 200,
        body: { merge_fields: paginate(fields, parsePage(context.query)).map((field) => mergeFieldView(list, field)), list_id: list.id, total_items: fields.length, _links: [] },
      };
    },
  },
  { method: 'POST', template: '/lists/{list_id}/merge-fields', handle: (context) => ({ status: 200, body: createMergeField(context) }) },
  { method: 'PATCH', template: '/lists/{list_id}/merge-fields/{merge_id}', handle: (context) => ({ status: 200, body: updateMergeField(context) }) },
];
