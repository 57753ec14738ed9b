import type { AudienceMember, InterestCategory, MarketingPermission, MemberPayload, MemberResult } from '@cdp/sdk';
import { MailchimpApiError } from './failures.js';
import { offsetPages, PAGE_SIZE } from './offset-pages.js';
import type { MailchimpRequests } from './requests.js';
import { eachMember } from './each-member.js';

interface MemberPermission {
  marketing_permission_id: string;
  text: string;
  enabled?: boolean;
}

/** The audience's interest categories (group titles), each with its interests: one call, then one per category. */
export async function interestCategories(requests: MailchimpRequests, audienceId: string): Promise<InterestCategory[]> {
  const categories: { id: string; title: string }[] = [];
  for await (const page of offsetPages<{ id: string; title: string }>(requests, 'GET /lists/{list_id}/interest-categories', 'categories', (client, offset) =>
    client.lists.getListInterestCategories(audienceId, { count: PAGE_SIZE, offset, fields: ['categories.id', 'categories.title', 'total_items'] }),
  )) {
    categories.push(...page);
  }
  return Promise.all(
    categories.map(async ({ id, title }): Promise<InterestCategory> => {
      const interests: { id: string; name: string }[] = [];
      for await (const page of offsetPages<{ id: string; name: string }>(
        requests,
        'GET /lists/{list_id}/interest-categories/{interest_category_id}/interests',
        'interests',
        (client, offset) => client.lists.listInterestCategoryInterests(audienceId, id, { count: PAGE_SIZE, offset, fields: ['interests.id', 'interests.name', 'total_items'] }),
      )) {
        interests.push(...page.map((interest) => ({ id: interest.id, name: interest.name })));
      }
      return { id, title, interests };
    }),
  );
}

/**
 * The audience's marketing permissions. The API lists them only on members (every member of an audience with
 * GDPR fields carries all of them, enabled or not), so one member is read: none when the audience has no
 * permissions, undefined when it has no member to read them from.
 */
export async function marketingPermissions(requests: MailchimpRequests, audienceId: string): Promise<MarketingPermission[] | undefined> {
  const page = await requests.call<{ members: { marketing_permissions?: MemberPermission[] }[] }>('GET /lists/{list_id}/members', (client) =>
    client.lists.getListMembersInfo(audienceId, { count: 1, fields: ['members.marketing_permissions'] }),
  );
  const [member] = page.members;
  if (!member) return undefined;
  return (member.marketing_permissions ?? []).map(({ marketing_permission_id, text }) => ({ id: marketing_permission_id, text }));
}

/**
 * Sets the marketing permissions of written members: the batch call takes none, so one PATCH per member that
 * carries them (only members whose payload changed are written at all). A permission named by text the engine
 * could not resolve (the audience had no member yet) is looked up now. A refusal turns the member's result into
 * `failed` with Mailchimp's reason.
 */
export async function writePermissions(requests: MailchimpRequests, audienceId: string, payloads: MemberPayload[], results: MemberResult[]): Promise<MemberResult[]> {
  const written = new Set(results.filter((r) => r.outcome === 'created' || r.outcome === 'updated').map((r) => r.memberId));
  const targets = payloads.filter((p) => p.marketingPermissions && p.marketingPermissions.length > 0 && written.has(p.memberId));
  if (targets.length === 0) return results;
  const unresolved = targets.some((p) => p.marketingPermissions!.some((permission) => permission.id === undefined));
  const known = unresolved ? ((await marketingPermissions(requests, audienceId)) ?? []) : [];
  const idOf = (permission: NonNullable<MemberPayload['marketingPermissions']>[number]): string | undefined =>
    permission.id ?? known.find((k) => k.id === permission.permission || k.text.toLowerCase() === permission.permission.toLowerCase())?.id;
  const failures = new Map<string, string>();
  await Promise.all(
    targets.map(async (payload) => {
      const body = payload.marketingPermissions!.map((permission) => ({ marketing_permission_id: idOf(permission), enabled: permission.enabled }));
      const missing = payload.marketingPermissions!.filter((permission) => idOf(permission) === undefined).map((permission) => permission.permission);
      if (missing.length > 0) {
        failures.set(payload.memberId, `the audience has no marketing permission ${missing.join(', ')}`);
        return;
      }
      try {
        await requests.call('PATCH /lists/{list_id}/members/{subscriber_hash}', (client) =>
          client.lists.updateListMember(audienceId, payload.memberId, { marketing_permissions: body }),
        );
      } catch (error) {
        if (!(error instanceof MailchimpApiError)) throw error;
        failures.set(payload.memberId, `marketing permissions: ${error.title}: ${error.detail}`);
      }
    }),
  );
  return results.map((result) => (failures.has(result.memberId) ? { ...result, outcome: 'failed', reason: failures.get(result.memberId) } : result));
}

/** POST …/actions/delete-permanent per member (all at once, within the key's slots); 404: already gone. */
export async function deletePermanently(requests: MailchimpRequests, audienceId: string, members: AudienceMember[]): Promise<MemberResult[]> {
  return eachMember(members, (id) =>
    requests.call('POST /lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent', (client) => client.lists.deleteListMemberPermanent(audienceId, id)),
  );
}
