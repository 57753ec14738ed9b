import type { AudienceInfo, AudienceMember } from '@cdp/sdk';
import type { MailchimpList, MailchimpMember, MergeField } from './mailchimp-types.js';
import { offsetPages, PAGE_SIZE } from './offset-pages.js';
import { MailchimpApiError } from './failures.js';
import type { MailchimpRequests } from './requests.js';

/** The audiences of the account (or only those of `ids`) with their merge fields. */
export async function listAudiences(requests: MailchimpRequests, ids?: string[]): Promise<AudienceInfo[]> {
  const wanted = ids && new Set(ids);
  const audiences: AudienceInfo[] = [];
  for await (const lists of offsetPages<MailchimpList>(requests, 'GET /lists', 'lists', (client, offset) =>
    client.lists.getAllLists({ count: PAGE_SIZE, offset, fields: ['lists.id', 'lists.name', 'lists.double_optin', 'lists.stats.member_count', 'total_items'] }),
  )) {
    const withFields = await Promise.all(
      lists.filter((list) => !wanted || wanted.has(list.id)).map(async (list): Promise<AudienceInfo> => ({
        id: list.id,
        name: list.name,
        memberCount: list.stats?.member_count ?? 0,
        fields: (await mergeFields(requests, list.id)).map(({ tag, name, type }) => ({ tag, name, type })),
        doubleOptIn: list.double_optin,
      })),
    );
    audiences.push(...withFields);
  }
  return audiences;
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
      try {
        const member = await requests.call<Pick<MailchimpMember, 'status'>>('GET /lists/{list_id}/members/{subscriber_hash}', (client) =>
          client.lists.getListMember(audienceId, memberId, { fields: ['status'] }),
        );
        statuses.set(memberId, member.status);
      } catch (error) {
        if (!(error instanceof MailchimpApiError && error.status === 404)) throw error;
      }
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
