import type { AudienceInfo, AudienceMember } from '@cdp/sdk';
import type { MailchimpList, MailchimpMember, MergeField } from './mailchimp-types.js';
import { offsetPages, PAGE_SIZE } from './offset-pages.js';
import { MailchimpApiError } from './failures.js';
import type { MailchimpRequests } from './requests.js';

const LIST_FIELDS = ['id', 'name', 'double_optin', 'stats.member_count'];

/**
 * The audiences of the account with their merge fields; with `ids`, only those (the ones the account has), each
 * read directly and at the same time as its merge fields, so a run's look-up costs one round trip whatever the
 * account's size.
 */
export async function listAudiences(requests: MailchimpRequests, ids?: string[]): Promise<AudienceInfo[]> {
  if (ids) return (await Promise.all(ids.map((id) => namedAudience(requests, id)))).filter((audience) => audience !== undefined);
  const audiences: AudienceInfo[] = [];
  for await (const lists of offsetPages<MailchimpList>(requests, 'GET /lists', 'lists', (client, offset) =>
    client.lists.getAllLists({ count: PAGE_SIZE, offset, fields: [...LIST_FIELDS.map((field) => `lists.${field}`), 'total_items'] }),
  )) {
    audiences.push(...(await Promise.all(lists.map(async (list) => audienceInfo(list, await mergeFields(requests, list.id))))));
  }
  return audiences;
}

/** One audience by id, or undefined when the account has none with it. */
async function namedAudience(requests: MailchimpRequests, id: string): Promise<AudienceInfo | undefined> {
  const [list, fields] = await Promise.all([
    unlessMissing(requests.call<MailchimpList>('GET /lists/{list_id}', (client) => client.lists.getList(id, { fields: LIST_FIELDS }))),
    unlessMissing(mergeFields(requests, id)),
  ]);
  return list && audienceInfo(list, fields ?? []);
}

/** Undefined where Mailchimp answers 404 (no such audience or member); any other failure stands. */
async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof MailchimpApiError && error.status === 404) return undefined;
    throw error;
  }
}

function audienceInfo(list: MailchimpList, fields: MergeField[]): AudienceInfo {
  return {
    id: list.id,
    name: list.name,
    memberCount: list.stats?.member_count ?? 0,
    fields: fields.map(({ tag, name, type }) => ({ tag, name, type })),
    doubleOptIn: list.double_optin,
  };
}

/** Merge-field tags of `tags` the audience lacks; with `create`, creates them (as text fields) first. */
export async function ensureFields(
  requests: MailchimpRequests,
  audienceId: string,
  tags: string[],
  create: boolean,
): Promise<{ missing: string[]; created: string[] }> {
  const present = new Set((await mergeFields(requests, audienceId)).map((field) => field.tag.toUpperCase()));
  const lacking = [...new Set(tags)].filter((tag) => !present.has(tag.toUpperCase()));
  if (!create) return { missing: lacking, created: [] };
  for (const tag of lacking) {
    await requests.call('POST /lists/{list_id}/merge-fields', (client) => client.lists.addListMergeField(audienceId, { tag, name: tag, type: 'text' }));
  }
  return { missing: [], created: lacking };
}

/** Every member that is not archived, 1000 per page, with only id, email and status. */
export async function* listMembers(requests: MailchimpRequests, audienceId: string): AsyncGenerator<AudienceMember[]> {
  for await (const members of offsetPages<MailchimpMember>(requests, 'GET /lists/{list_id}/members', 'members', (client, offset) =>
    client.lists.getListMembersInfo(audienceId, {
      count: PAGE_SIZE,
      offset,
      fields: ['members.id', 'members.email_address', 'members.status', 'total_items'],
    }),
  )) {
    const current = members.filter((member) => member.status !== 'archived');
    if (current.length > 0) yield current.map((m) => ({ id: m.id, email: m.email_address ?? '', status: m.status }));
  }
}

/** Each member's status, one GET per member (all at once, within the key's slots); 404 means no such member. */
export async function memberStatuses(requests: MailchimpRequests, audienceId: string, memberIds: string[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  await Promise.all(
    memberIds.map(async (memberId) => {
      const member = await unlessMissing(requests.call<Pick<MailchimpMember, 'status'>>('GET /lists/{list_id}/members/{subscriber_hash}', (client) =>
        client.lists.getListMember(audienceId, memberId, { fields: ['status'] }),
      ));
      if (member) statuses.set(memberId, member.status);
    }),
  );
  return statuses;
}

async function mergeFields(requests: MailchimpRequests, audienceId: string): Promise<MergeField[]> {
  const fields: MergeField[] = [];
  for await (const page of offsetPages<MergeField>(requests, 'GET /lists/{list_id}/merge-fields', 'merge_fields', (client, offset) =>
    client.lists.getListMergeFields(audienceId, { count: PAGE_SIZE, offset }),
  )) {
    fields.push(...page);
  }
  return fields;
}
