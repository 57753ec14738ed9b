import { normalizeEmail, type AudienceMember, type MemberPayload, type MemberResult, type RemovalAction, type UpsertOptions } from '@cdp/sdk';
import type { BatchError, BatchResponse, MailchimpMember } from './mailchimp-types.js';
import { writePermissions } from './audience-fields.js';
import { eachMember } from './each-member.js';
import { batchListMembersTrimmed } from './official-client.js';
import type { MailchimpRequests } from './requests.js';

/** Batch subscribe takes at most 500 members per call. */
export const BATCH_LIMIT = 500;

/**
 * What the connector reads of a batch answer. Mailchimp otherwise returns every created or updated member in
 * full, about 1 KB each; a partial response (see Mailchimp's "Methods and parameters") keeps the answer to a few
 * dozen bytes per member. Where the API would return the whole answer, it is read the same way.
 */
const BATCH_ANSWER_FIELDS = ['new_members.email_address', 'updated_members.email_address', 'updated_members.status', 'errors'];

/** Statuses Mailchimp keeps for compliance: such members are never re-subscribed. */
const COMPLIANCE_STATUSES = new Set(['unsubscribed', 'cleaned']);
/** Mailchimp's refusal to subscribe a member that unsubscribed or bounced ("Member In Compliance State"). */
const COMPLIANCE_ERROR = /compliance state/i;

interface BatchItem {
  email_address: string;
  status?: string;
  merge_fields?: Record<string, string>;
  tags?: string[];
  interests?: Record<string, boolean>;
}

/**
 * Creates or updates members without ever changing an existing member's status:
 * 1. members the caller knows (written before) get one update call that carries no status;
 * 2. with `createMembers`, the others (and known ones Mailchimp no longer has) get a create-only call
 *    (update_existing false, status = newMemberStatus): new members are created, existing ones come back as
 *    ERROR_CONTACT_EXISTS untouched;
 * 3. those that existed, or every unknown member without `createMembers`, get the status-less update call;
 * 4. members the connection archived and must bring back (`restoreMembers`) get an update call with
 *    `newMemberStatus`: Mailchimp restores an archived member only when a status is sent (a status-less
 *    write leaves it archived), and refuses it for members that had unsubscribed or bounced.
 * So no confirmation is sent again and nobody is re-subscribed; a delta of known members costs one call.
 */
export async function upsertMembers(
  requests: MailchimpRequests,
  audienceId: string,
  payloads: MemberPayload[],
  options: UpsertOptions,
): Promise<MemberResult[]> {
  const outcomes = new Map<string, Omit<MemberResult, 'memberId' | 'email'>>();
  const restoring = payloads.filter((p) => options.restoreMembers?.has(p.memberId));
  const rest = payloads.filter((p) => !options.restoreMembers?.has(p.memberId));
  if (restoring.length > 0) await update(requests, audienceId, restoring, outcomes, options.newMemberStatus);
  // Add-only: every member goes through the create-only call, and one that exists is left as it is.
  const updateExisting = options.updateExisting ?? true;
  const known = updateExisting ? rest.filter((p) => options.knownMembers?.has(p.memberId)) : [];
  let unknown = updateExisting ? rest.filter((p) => !options.knownMembers?.has(p.memberId)) : rest;
  if (known.length > 0) {
    const missing = await update(requests, audienceId, known, outcomes);
    if (options.createMembers) unknown = [...unknown, ...known.filter((p) => missing.has(key(p.email)))];
  }
  if (options.createMembers && unknown.length > 0) {
    const response = await batchSubscribe(requests, audienceId, unknown.map((p) => toItem(p, options.newMemberStatus)), false);
    for (const member of response.new_members) outcomes.set(key(member.email_address), { outcome: 'created' });
    const exists = new Set<string>();
    for (const error of response.errors) {
      if (error.error_code === 'ERROR_CONTACT_EXISTS' && !updateExisting) outcomes.set(key(error.email_address), { outcome: 'exists', reason: 'already a member; left untouched' });
      else if (error.error_code === 'ERROR_CONTACT_EXISTS') exists.add(key(error.email_address));
      else outcomes.set(key(error.email_address), { outcome: 'failed', reason: describe(error) });
    }
    unknown = unknown.filter((p) => exists.has(key(p.email)));
  }
  if (unknown.length > 0) await update(requests, audienceId, unknown, outcomes);
  return writePermissions(requests, audienceId, payloads, payloads.map((p): MemberResult => ({
    memberId: p.memberId,
    email: p.email,
    ...(outcomes.get(key(p.email)) ?? { outcome: 'failed', reason: 'Mailchimp returned no result for this member' }),
  })));
}

/**
 * The update call (status-less unless `status` is given); returns the emails Mailchimp has no member for
 * (recorded as skipped).
 */
async function update(
  requests: MailchimpRequests,
  audienceId: string,
  payloads: MemberPayload[],
  outcomes: Map<string, Omit<MemberResult, 'memberId' | 'email'>>,
  status?: string,
): Promise<Set<string>> {
  const missing = new Set<string>();
  const response = await batchSubscribe(requests, audienceId, payloads.map((p) => toItem(p, status)), true);
  for (const member of response.new_members) outcomes.set(key(member.email_address), { outcome: 'created' });
  for (const member of response.updated_members) outcomes.set(key(member.email_address), updateOutcome(member));
  for (const error of response.errors) {
    // Without a status Mailchimp cannot create a member: a refusal on `status` means there is none.
    if (error.field === 'status') missing.add(key(error.email_address));
    outcomes.set(key(error.email_address), errorOutcome(error));
  }
  return missing;
}

function errorOutcome(error: BatchError): Omit<MemberResult, 'memberId' | 'email'> {
  if (error.field === 'status') return { outcome: 'skipped', reason: 'not a member' };
  if (COMPLIANCE_ERROR.test(error.error)) return { outcome: 'compliance', reason: describe(error) };
  return { outcome: 'failed', reason: describe(error) };
}

/** Archives (DELETE, one call per member) or unsubscribes (batch subscribe with status unsubscribed) members. */
export async function removeMembers(
  requests: MailchimpRequests,
  audienceId: string,
  members: AudienceMember[],
  action: RemovalAction,
): Promise<MemberResult[]> {
  return action === 'archive' ? archive(requests, audienceId, members) : unsubscribe(requests, audienceId, members);
}

async function archive(requests: MailchimpRequests, audienceId: string, members: AudienceMember[]): Promise<MemberResult[]> {
  return eachMember(
    members,
    (id) => requests.call('DELETE /lists/{list_id}/members/{subscriber_hash}', (client) => client.lists.deleteListMember(audienceId, id)),
    // 405: Mailchimp cannot archive cleaned, pending or already archived members; there is nothing to do.
    (error) => (error.status === 405 ? error.detail : undefined),
  );
}

async function unsubscribe(requests: MailchimpRequests, audienceId: string, members: AudienceMember[]): Promise<MemberResult[]> {
  const items = members.map((m) => ({ email_address: m.email, status: 'unsubscribed' }));
  const response = await batchSubscribe(requests, audienceId, items, true);
  const failures = new Map(response.errors.map((error) => [key(error.email_address), describe(error)]));
  return members.map(({ id, email }): MemberResult => {
    const reason = failures.get(key(email));
    return reason === undefined ? { memberId: id, email, outcome: 'updated' } : { memberId: id, email, outcome: 'failed', reason };
  });
}

/** POST /lists/{list_id} in calls of at most 500 members, their answers joined. */
async function batchSubscribe(requests: MailchimpRequests, audienceId: string, items: BatchItem[], updateExisting: boolean): Promise<BatchResponse> {
  const joined: BatchResponse = { new_members: [], updated_members: [], errors: [] };
  for (let start = 0; start < items.length; start += BATCH_LIMIT) {
    const members = items.slice(start, start + BATCH_LIMIT);
    const response = await requests.call<BatchResponse>('POST /lists/{list_id}', (client) =>
      batchListMembersTrimmed(client, audienceId, { members, update_existing: updateExisting }, BATCH_ANSWER_FIELDS),
    );
    joined.new_members.push(...response.new_members);
    joined.updated_members.push(...response.updated_members);
    joined.errors.push(...response.errors);
  }
  return joined;
}

function toItem(payload: MemberPayload, status?: string): BatchItem {
  return {
    email_address: payload.email,
    ...(status ? { status } : {}),
    merge_fields: payload.mergeFields,
    ...(payload.tags.length > 0 ? { tags: payload.tags } : {}),
    ...(payload.interests ? { interests: Object.fromEntries(payload.interests.flatMap((i) => (i.id === undefined ? [] : [[i.id, i.subscribed]]))) } : {}),
  };
}

function updateOutcome(member: MailchimpMember): Omit<MemberResult, 'memberId' | 'email'> {
  if (COMPLIANCE_STATUSES.has(member.status)) {
    return { outcome: 'compliance', reason: `member is ${member.status} in Mailchimp and is never re-subscribed` };
  }
  if (member.status === 'archived') return { outcome: 'archived', reason: 'archived in Mailchimp; left archived' };
  return { outcome: 'updated' };
}

function describe(error: BatchError): string {
  return error.field_message ? `${error.error} (${error.field}: ${error.field_message})` : error.error;
}

function key(email: string | undefined): string {
  return normalizeEmail(email ?? '');
}
