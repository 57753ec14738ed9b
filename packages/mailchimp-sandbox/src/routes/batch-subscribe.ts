import { subscriberHash } from '../email.js';
import { memberView, parseStatus, parseTags, requireEmail, writeMember } from '../members.js';
import { ApiError, invalidResource, NOT_VALIDATED, validationError } from '../problem.js';
import { parseBooleanParam } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { ListRecord } from '../store.js';
import { requireList } from './lists.js';

export const MAX_BATCH_MEMBERS = 500;

interface BatchError {
  email_address: string;
  error: string;
  error_code: 'ERROR_CONTACT_EXISTS' | 'ERROR_GENERIC';
  field: string;
  field_message: string;
}

type ItemOutcome = { created: boolean; member: Record<string, unknown> } | { error: BatchError };

function itemError(email: string, error: string, code: BatchError['error_code'] = 'ERROR_GENERIC', field = '', fieldMessage = ''): { error: BatchError } {
  return { error: { email_address: email, error, error_code: code, field, field_message: fieldMessage } };
}

/**
 * One member of a batch (`hash`: its subscriber hash, known from the duplicate check): the same rules as the
 * single-member endpoints, reported as an item error.
 */
function subscribeOne(context: RouteContext, list: ListRecord, item: unknown, hash: string, updateExisting: boolean, syncTags: boolean): ItemOutcome {
  const body = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  const rawEmail = typeof body.email_address === 'string' ? body.email_address : '';
  try {
    const email = requireEmail(body.email_address);
    const existing = list.members.get(hash);
    if (existing && !updateExisting) {
      return itemError(email, `${email} is already a list member, do you want to update? please provide update_existing:true in the request body`, 'ERROR_CONTACT_EXISTS');
    }
    // An archived member written without a status stays archived (as PUT with only status_if_new does);
    // sending a status restores it.
    const status = parseStatus(body.status, 'status');
    const member = writeMember(context.store, list, email, existing, {
      status,
      merge_fields: body.merge_fields,
      email_type: body.email_type,
      language: body.language,
      vip: body.vip,
      interests: body.interests,
      tags: parseTags(body.tags) ?? (syncTags ? [] : undefined),
      replaceTags: syncTags,
      skipMergeValidation: parseBooleanParam(context.query, 'skip_merge_validation'),
    });
    return { created: !existing, member: memberView(list, member) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // Field-level refusals carry their reason in errors[]; the others in the detail.
    const first = error.errors?.[0];
    const reason = first && error.detail === NOT_VALIDATED ? first.message : error.detail;
    return itemError(rawEmail, reason, 'ERROR_GENERIC', first?.field ?? '', first?.message ?? '');
  }
}

function batchSubscribe(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const body = (context.body ?? {}) as Record<string, unknown>;
  if (!Array.isArray(body.members)) {
    throw validationError('members', 'Schema describes array, NULL found instead');
  }
  if (body.members.length > MAX_BATCH_MEMBERS) {
    throw invalidResource(`You can only subscribe or update up to ${MAX_BATCH_MEMBERS} members per request.`, [
      { field: 'members', message: `${body.members.length} members sent; the maximum is ${MAX_BATCH_MEMBERS}` },
    ]);
  }
  const updateExisting = body.update_existing === true;
  const syncTags = body.sync_tags === true && updateExisting;
  const skipDuplicates = parseBooleanParam(context.query, 'skip_duplicate_check');
  const seen = new Set<string>();
  const created: Record<string, unknown>[] = [];
  const updated: Record<string, unknown>[] = [];
  const errors: BatchError[] = [];
  for (const item of body.members as unknown[]) {
    const email = String((item as Record<string, unknown> | null)?.email_address ?? '').trim();
    const hash = subscriberHash(email);
    if (email && seen.has(hash)) {
      if (!skipDuplicates) errors.push(itemError(email, `${email} appears more than once in this request`).error);
      continue;
    }
    seen.add(hash);
    const outcome = subscribeOne(context, list, item, hash, updateExisting, syncTags);
    if ('error' in outcome) errors.push(outcome.error);
    else (outcome.created ? created : updated).push(outcome.member);
  }
  return {
    new_members: created,
    updated_members: updated,
    errors,
    total_created: created.length,
    total_updated: updated.length,
    error_count: errors.length,
    _links: [],
  };
}

export const batchSubscribeRoutes: Route[] = [
  { method: 'POST', template: '/lists/{list_id}', handle: (context) => ({ status: 200, body: batchSubscribe(context) }) },
];
