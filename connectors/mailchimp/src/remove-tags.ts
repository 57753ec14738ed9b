import { normalizeEmail, type MemberResult, type TagRemoval } from '@cdp/sdk';
import { MailchimpApiError } from './failures.js';
import { offsetPages, PAGE_SIZE } from './offset-pages.js';
import type { MailchimpRequests } from './requests.js';

/** A static segment call takes at most 500 emails each way. */
const SEGMENT_BATCH_LIMIT = 500;

/** The official client's static segment calls; note the body comes first in `batchSegmentMembers`. */

interface StaticSegment {
  id: number;
  name: string;
}

interface SegmentChange {
  errors: { email_addresses: string[]; error: string }[];
}

/**
 * Tag ids by name, per audience, listed once per session. In Mailchimp a tag is a static segment with the same
 * id, so one listing of the static segments (1000 a call) learns every id at once, where tag-search costs a call
 * per name and, matching names as prefixes with no documented paging, might leave out the exact one. A tag the
 * listing lacks was on nobody when the session began, so no removal asked of this session can need it.
 */
export class TagIds {
  private readonly byAudience = new Map<string, Promise<Map<string, number>>>();

  constructor(private readonly requests: MailchimpRequests) {}

  of(audienceId: string): Promise<Map<string, number>> {
    let ids = this.byAudience.get(audienceId);
    if (!ids) {
      ids = this.list(audienceId);
      this.byAudience.set(audienceId, ids);
      // A failed listing is not kept: the next removal lists again.
      ids.catch(() => this.byAudience.delete(audienceId));
    }
    return ids;
  }

  private async list(audienceId: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for await (const segments of offsetPages<StaticSegment>(this.requests, 'GET /lists/{list_id}/segments', 'segments', (client, offset) =>
      client.lists.listSegments(audienceId, { type: 'static', count: PAGE_SIZE, offset, fields: ['segments.id', 'segments.name', 'total_items'] }),
    )) {
      for (const segment of segments) ids.set(segment.name, segment.id);
    }
    return ids;
  }
}

/**
 * Takes tags off members with one call per tag and 500 members (never one per member), leaving every other tag
 * alone. A tag the audience does not know is already off and costs no call; a member that is not in the audience
 * (archived or gone meanwhile) has no tag there to lose and is skipped with the reason; a call Mailchimp refuses
 * fails its members with the reason, for each tag they could not lose.
 */
export async function removeTags(requests: MailchimpRequests, tagIds: TagIds, audienceId: string, removals: TagRemoval[]): Promise<MemberResult[]> {
  const ids = await tagIds.of(audienceId);
  const calls = [...emailsByTag(removals)].flatMap(([tag, emails]) => {
    const id = ids.get(tag);
    return id === undefined ? [] : chunks(emails).map((chunk) => ({ tag, id, emails: chunk }));
  });
  // All at once: the key's slots keep the number in flight within Mailchimp's limit.
  const answers = await Promise.all(calls.map((call) => removeTag(requests, audienceId, call)));
  return removals.map(({ memberId, email }): MemberResult => {
    const key = normalizeEmail(email);
    const refused = answers.flatMap((answer) => answer.refused.get(key) ?? []);
    if (refused.length > 0) return { memberId, email, outcome: 'failed', reason: refused.join('; ') };
    const absent = answers.flatMap((answer) => answer.absent.get(key) ?? []);
    return absent.length > 0 ? { memberId, email, outcome: 'skipped', reason: absent.join('; ') } : { memberId, email, outcome: 'updated' };
  });
}

/**
 * One static segment call; answers, by normalised email, the members Mailchimp says are not in the audience
 * (`absent`) and those of a call it refused (`refused`), each with the reason.
 */
async function removeTag(
  requests: MailchimpRequests,
  audienceId: string,
  call: { tag: string; id: number; emails: string[] },
): Promise<{ absent: Map<string, string>; refused: Map<string, string> }> {
  const answer = { absent: new Map<string, string>(), refused: new Map<string, string>() };
  const note = (into: Map<string, string>, emails: string[], why: string): void => emails.forEach((email) => into.set(normalizeEmail(email), `tag "${call.tag}": ${why}`));
  try {
    const change = await requests.call<SegmentChange>('POST /lists/{list_id}/segments/{segment_id}', (client) =>
      client.lists.batchSegmentMembers({ members_to_remove: call.emails }, audienceId, String(call.id)),
    );
    for (const error of change.errors) note(answer.absent, error.email_addresses, error.error);
  } catch (error) {
    if (!(error instanceof MailchimpApiError)) throw error;
    // 404: the tag was deleted since it was listed, so it is off everyone.
    if (error.status !== 404) note(answer.refused, call.emails, `${error.title}: ${error.detail}`);
  }
  return answer;
}

/** The emails to take each tag off, each email once per tag. */
function emailsByTag(removals: TagRemoval[]): Map<string, string[]> {
  const byTag = new Map<string, Map<string, string>>();
  for (const { email, tags } of removals) {
    for (const tag of tags) {
      const emails = byTag.get(tag) ?? new Map<string, string>();
      emails.set(normalizeEmail(email), email);
      byTag.set(tag, emails);
    }
  }
  return new Map([...byTag].map(([tag, emails]) => [tag, [...emails.values()]]));
}

function chunks<T>(items: T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / SEGMENT_BATCH_LIMIT) }, (_, i) => items.slice(i * SEGMENT_BATCH_LIMIT, (i + 1) * SEGMENT_BATCH_LIMIT));
}
