import { beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash, type SeedMember } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

const at = (minute: number): string => `2024-01-01T10:${String(minute).padStart(2, '0')}:00+00:00`;
// 30 members; every third shares a timestamp with its neighbours, so ties must keep the insertion order.
const SEEDED: SeedMember[] = Array.from({ length: 30 }, (_, i) => ({
  email_address: `m${i}@shop.com`,
  status: i % 10 === 9 ? 'unsubscribed' : 'subscribed',
  last_changed: at(Math.floor(i / 3)),
  timestamp_opt: at(59 - i),
}));

type Member = { email_address: string; last_changed: string };

describe('reading members: filters, sorting, fields and paging', () => {
  const checked = checkedSandboxForSuite({ seed: { apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'Main', members: SEEDED }] } });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  const emails = (page: { members: Member[] }): string[] => page.members.map((member) => member.email_address);

  it('pages in stable insertion order by default with total_items over all matches', async () => {
    const first = await client.lists.getListMembersInfo('L1');
    expect(first.total_items).toBe(30);
    expect(emails(first)).toEqual(SEEDED.slice(0, 10).map((member) => member.email_address));
    const last = await client.lists.getListMembersInfo('L1', { count: 10, offset: 25 });
    expect(emails(last)).toEqual(SEEDED.slice(25).map((member) => member.email_address));
  });

  it('filters on one status and on since_last_changed (exclusive) / before_last_changed', async () => {
    const unsubscribed = await client.lists.getListMembersInfo('L1', { status: 'unsubscribed', count: 1000 });
    expect(emails(unsubscribed)).toEqual(['m9@shop.com', 'm19@shop.com', 'm29@shop.com']);
    const since = await client.lists.getListMembersInfo('L1', { sinceLastChanged: at(8), count: 1000 });
    expect(emails(since)).toEqual(['m27@shop.com', 'm28@shop.com', 'm29@shop.com']);
    const window = await client.lists.getListMembersInfo('L1', { sinceLastChanged: at(0), beforeLastChanged: at(2), count: 1000 });
    expect(emails(window)).toEqual(['m3@shop.com', 'm4@shop.com', 'm5@shop.com']);
  });

  it('sorts by last_changed or timestamp_opt in both directions, ties in insertion order', async () => {
    const desc = await client.lists.getListMembersInfo('L1', { sortField: 'last_changed', sortDir: 'DESC', count: 4 });
    expect(emails(desc)).toEqual(['m27@shop.com', 'm28@shop.com', 'm29@shop.com', 'm24@shop.com']);
    const byOpt = await client.lists.getListMembersInfo('L1', { sortField: 'timestamp_opt', sortDir: 'ASC', count: 2 });
    expect(emails(byOpt)).toEqual(['m29@shop.com', 'm28@shop.com']);
  });

  it('applies fields and exclude_fields as dot paths and refuses bad combinations', async () => {
    const only = await client.lists.getListMembersInfo('L1', { fields: ['members.email_address', 'total_items'], count: 2 });
    expect(only).toEqual({ members: [{ email_address: 'm0@shop.com' }, { email_address: 'm1@shop.com' }], total_items: 30 });
    const without = await client.lists.getListMembersInfo('L1', { excludeFields: ['members.merge_fields', '_links'], count: 1 });
    expect(without.members[0].merge_fields).toBeUndefined();
    expect(without.members[0].status).toBe('subscribed');
    expect(without._links).toBeUndefined();
    const one = await client.lists.getListMember('L1', subscriberHash('m1@shop.com'), { fields: ['status'] });
    expect(one).toEqual({ status: 'subscribed' });

    const both = await refusal(client.lists.getListMembersInfo('L1', { fields: ['total_items'], excludeFields: ['list_id'] }));
    expect(both.status).toBe(400);
    const invalid = await refusal(client.lists.getListMembersInfo('L1', { fields: ['members.shoe_size'] }));
    expect(invalid.response?.body.detail).toContain('members.shoe_size');
  });

  it('refuses counts above 1000, unknown statuses, sort fields and timestamps', async () => {
    expect((await refusal(client.lists.getListMembersInfo('L1', { count: 1001 }))).status).toBe(400);
    expect((await refusal(client.lists.getListMembersInfo('L1', { status: 'happy' }))).status).toBe(400);
    expect((await refusal(client.lists.getListMembersInfo('L1', { sortField: 'email' }))).status).toBe(400);
    expect((await refusal(client.lists.getListMembersInfo('L1', { sinceLastChanged: 'yesterday' }))).status).toBe(400);
  });

  it('keeps sort_field=last_changed paging consistent while members change', async () => {
    const query = { sortField: 'last_changed', sortDir: 'ASC', count: 10 };
    const snapshot = emails(await client.lists.getListMembersInfo('L1', { ...query, count: 1000 }));
    // Unchanged data: pages are disjoint, cover everyone and match one big read, on every repetition.
    for (let round = 0; round < 2; round += 1) {
      const pages = await Promise.all([0, 10, 20].map((offset) => client.lists.getListMembersInfo('L1', { ...query, offset })));
      expect(pages.flatMap(emails)).toEqual(snapshot);
    }

    // A change while paging moves that member to the end with a strictly later last_changed.
    const page1 = await client.lists.getListMembersInfo('L1', { ...query, offset: 0 });
    const watermark = page1.members[9].last_changed;
    const changed = await client.lists.updateListMember('L1', subscriberHash('m2@shop.com'), { merge_fields: { FNAME: 'Moved' } });
    const rest = await client.lists.getListMembersInfo('L1', { ...query, count: 1000, sinceLastChanged: watermark });
    expect(emails(rest).at(-1)).toBe('m2@shop.com');
    expect(Date.parse(changed.last_changed)).toBeGreaterThan(Date.parse(rest.members.at(-2).last_changed));
    const after = emails(await client.lists.getListMembersInfo('L1', { ...query, count: 1000 }));
    expect(after).toEqual([...snapshot.filter((email) => email !== 'm2@shop.com'), 'm2@shop.com']);
    // Reading on from the last seen last_changed (exclusive) returns the changed member exactly once.
    const next = await client.lists.getListMembersInfo('L1', { ...query, sinceLastChanged: rest.members.at(-2).last_changed });
    expect(emails(next)).toEqual(['m2@shop.com']);
  });
});
