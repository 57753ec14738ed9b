import type { MemberQuery, SourceMember } from '@cdp/sdk';
import type { MailchimpMember, MemberPage } from './mailchimp-types.js';
import { mergeStreams } from './merge-streams.js';
import { mailchimpTime } from './mailchimp-time.js';
import { PAGE_SIZE } from './offset-pages.js';
import type { MailchimpRequests } from './requests.js';

/**
 * How many already-seen members each page reads again. A seen member that changes before the next page moves
 * to the end of the order, so an offset counting it would skip an unseen one; re-reading a margin (dropped as
 * repeats) absorbs up to this many such changes per page boundary.
 */
const REREAD_MARGIN = 50;

const READABLE_STATUSES = new Set(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived']);

/**
 * Members of one audience in pages. The API filters on one status per request, so each status is a stream
 * of its own, all read in parallel (within the key's limit) with one page of read-ahead each.
 */
export function readMembers(requests: MailchimpRequests, audienceId: string, query: MemberQuery): AsyncIterable<SourceMember[]> {
  const statuses = [...new Set(query.statuses)].filter((status) => READABLE_STATUSES.has(status));
  const wantedTags = query.tags?.length ? new Set(query.tags) : undefined;
  const streams = statuses.map((status) => memberPages(requests, audienceId, status, query.changedSince, query.pageSize ?? PAGE_SIZE));
  return toSourceMembers(mergeStreams(streams), wantedTags);
}

async function* toSourceMembers(pages: AsyncIterable<MailchimpMember[]>, wantedTags: Set<string> | undefined): AsyncGenerator<SourceMember[]> {
  for await (const page of pages) {
    const members = wantedTags ? page.filter((member) => member.tags?.some((tag) => wantedTags.has(tag.name))) : page;
    if (members.length > 0) yield members.map(toSourceMember);
  }
}

function toSourceMember(member: MailchimpMember): SourceMember {
  const { _links: _ignored, ...fields } = member;
  return { id: member.id, email: member.email_address, version: member.last_changed, fields };
}

/**
 * Keyset paging over `last_changed` so that members changing during the read are neither lost nor looped
 * on: each page starts one second before the previous page's last `last_changed` (the API's timestamps have
 * one-second precision and `since_last_changed` means "after"), skips with `offset` the members already seen
 * in that second (less a margin), and drops any repeat by id + last_changed. A member that changes meanwhile moves to the end
 * of the order and is read again in its new version.
 */
async function* memberPages(
  requests: MailchimpRequests,
  audienceId: string,
  status: string,
  changedSince: Date | undefined,
  pageSize: number,
): AsyncGenerator<MailchimpMember[]> {
  // Fewer than the margin, a page of members sharing one second would be read again forever.
  if (pageSize <= REREAD_MARGIN || pageSize > PAGE_SIZE) throw new RangeError(`page size must be from ${REREAD_MARGIN + 1} to ${PAGE_SIZE}, got ${pageSize}`);
  const seen = new RecentVersions();
  let since = changedSince ? floorToSecond(changedSince.getTime()) : undefined;
  let offset = 0;
  for (;;) {
    const page = await requests.call<MemberPage>('GET /lists/{list_id}/members', (client) =>
      client.lists.getListMembersInfo(audienceId, {
        status,
        count: pageSize,
        offset,
        sort_field: 'last_changed',
        sort_dir: 'ASC',
        since_last_changed: since === undefined ? undefined : mailchimpTime(since),
        exclude_fields: ['_links', 'members._links'],
      }),
    );
    const fresh = page.members.filter((member) => seen.add(member));
    if (fresh.length > 0) yield fresh;
    if (page.members.length < pageSize) return;
    since = floorToSecond(Date.parse(page.members[page.members.length - 1].last_changed) - 1000);
    seen.forgetBefore(since);
    offset = Math.max(0, seen.countAfter(since) - REREAD_MARGIN);
  }
}

/** The member versions seen in the current paging window, for dedupe and for the next page's offset. */
class RecentVersions {
  private readonly changedAt = new Map<string, number>();

  /** False when this version was already seen. */
  add(member: MailchimpMember): boolean {
    const key = `${member.id}|${member.last_changed}`;
    if (this.changedAt.has(key)) return false;
    this.changedAt.set(key, Date.parse(member.last_changed));
    return true;
  }

  forgetBefore(instant: number): void {
    for (const [key, at] of this.changedAt) if (at < instant) this.changedAt.delete(key);
  }

  countAfter(instant: number): number {
    let count = 0;
    for (const at of this.changedAt.values()) if (at > instant) count++;
    return count;
  }
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
