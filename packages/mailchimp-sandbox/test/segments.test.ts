import { beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

const LONG_AGO = '2020-01-01T00:00:00+00:00';

describe('tags as static segments: tag search, segment listing and bulk membership', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A],
      lists: [{
        id: 'L1',
        name: 'Main',
        members: [
          { email_address: 'ann@shop.com', status: 'subscribed', tags: ['vip', 'hand-picked'], last_changed: LONG_AGO },
          { email_address: 'ben@shop.com', status: 'subscribed', tags: ['vip'], last_changed: LONG_AGO },
          { email_address: 'cat@shop.com', status: 'unsubscribed', tags: ['vip', 'VIP Gold'] },
          { email_address: 'old@shop.com', status: 'archived', tags: ['vip'] },
          { email_address: 'dan@shop.com', status: 'subscribed' },
        ],
      }, { id: 'L2', name: 'Other', members: [{ email_address: 'ann@shop.com', status: 'subscribed', tags: ['vip'] }] }],
    },
  });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  const tagsOf = async (email: string): Promise<string[]> =>
    (await client.lists.getListMember('L1', subscriberHash(email))).tags.map((tag: { name: string }) => tag.name);
  const tagId = async (name: string): Promise<number> =>
    (await client.lists.tagSearch('L1', { name })).tags.find((tag: { name: string }) => tag.name === name).id;

  it('searches tags by name prefix, ignoring case, and lists them all without a name', async () => {
    const found = await client.lists.tagSearch('L1', { name: 'vip' });
    expect(found.tags.map((tag: { name: string }) => tag.name)).toEqual(['vip', 'VIP Gold']);
    expect(found.total_items).toBe(2);
    expect((await client.lists.tagSearch('L1')).total_items).toBe(3);
    expect(await client.lists.tagSearch('L1', { name: 'nothing' })).toEqual({ tags: [], total_items: 0 });
    expect((await refusal(client.lists.tagSearch('NOPE', { name: 'vip' }))).status).toBe(404);
  });

  it('lists every tag as a static segment whose id is the tag id, counting its subscribed members', async () => {
    const page = await client.lists.listSegments('L1', { type: 'static', count: 1000 });
    expect(page).toMatchObject({ list_id: 'L1', total_items: 3 });
    expect(page.segments.map((s: { name: string; member_count: number }) => [s.name, s.member_count])).toEqual([
      ['vip', 2],
      ['hand-picked', 1],
      ['VIP Gold', 0],
    ]);
    expect(page.segments[0]).toMatchObject({ id: await tagId('vip'), type: 'static', options: {}, list_id: 'L1' });
    const memberTag = (await client.lists.getListMember('L1', subscriberHash('ann@shop.com'))).tags[0];
    expect(memberTag).toEqual({ id: page.segments[0].id, name: 'vip' });
    expect(page.segments[0].id).not.toBe((await client.lists.listSegments('L2')).segments[0].id);
  });

  it('pages segments with count and offset, has no saved or fuzzy ones, and refuses an unknown type', async () => {
    const second = await client.lists.listSegments('L1', { count: 1, offset: 1 });
    expect(second.segments.map((s: { name: string }) => s.name)).toEqual(['hand-picked']);
    expect(second.total_items).toBe(3);
    expect(await client.lists.listSegments('L1', { type: 'saved' })).toMatchObject({ segments: [], total_items: 0 });
    expect((await refusal(client.lists.listSegments('L1', { type: 'smart' }))).status).toBe(400);
    const trimmed = await client.lists.listSegments('L1', { fields: ['segments.id', 'segments.name'] });
    expect(Object.keys(trimmed.segments[0])).toEqual(['id', 'name']);
  });

  it('takes a tag off members in bulk, leaving their other tags, and moves their last_changed', async () => {
    const result = await client.lists.batchSegmentMembers({ members_to_remove: ['ann@shop.com', 'BEN@shop.com'] }, 'L1', await tagId('vip'));
    expect(result).toMatchObject({ total_added: 0, total_removed: 2, error_count: 0, errors: [], members_added: [] });
    expect(result.members_removed.map((m: { email_address: string }) => m.email_address)).toEqual(['ann@shop.com', 'ben@shop.com']);
    expect(await tagsOf('ann@shop.com')).toEqual(['hand-picked']);
    expect(await tagsOf('ben@shop.com')).toEqual([]);
    const ann = await client.lists.getListMember('L1', subscriberHash('ann@shop.com'));
    expect(Date.parse(ann.last_changed)).toBeGreaterThan(Date.parse(LONG_AGO));
    expect((await client.lists.getListMember('L2', subscriberHash('ann@shop.com'))).tags).toEqual([{ id: expect.any(Number), name: 'vip' }]);
  });

  it('puts a tag on members, and leaves members that already have (or lack) it untouched', async () => {
    const id = await tagId('hand-picked');
    const before = await client.lists.getListMember('L1', subscriberHash('ann@shop.com'));
    const result = await client.lists.batchSegmentMembers({ members_to_add: ['dan@shop.com', 'ann@shop.com'], members_to_remove: ['ben@shop.com'] }, 'L1', id);
    expect(result).toMatchObject({ total_added: 1, total_removed: 0, error_count: 0 });
    expect(result.members_added[0]).toMatchObject({ email_address: 'dan@shop.com', tags: [{ id, name: 'hand-picked' }] });
    expect(await client.lists.getListMember('L1', subscriberHash('ann@shop.com'))).toEqual(before);
  });

  it('reports emails that are not members of the list, archived ones included, and changes the rest', async () => {
    const result = await client.lists.batchSegmentMembers(
      { members_to_remove: ['nobody@shop.com', 'cat@shop.com', 'old@shop.com', 'not-an-email'] }, 'L1', await tagId('vip'));
    expect(result).toMatchObject({
      total_removed: 1,
      error_count: 3,
      errors: [{ email_addresses: ['nobody@shop.com', 'old@shop.com', 'not-an-email'], error: 'Email addresses not in the list' }],
    });
    expect(result.members_removed[0]).toMatchObject({ email_address: 'cat@shop.com', status: 'unsubscribed' });
    expect(checked.sandbox.admin.dump().lists[0].members.find((m) => m.email_address === 'old@shop.com')?.tags).toEqual(['vip']);
  });

  it('refuses more than 500 emails either way with nothing written, an unknown segment, and a malformed body', async () => {
    const id = await tagId('hand-picked');
    const many = ['ann@shop.com', ...Array.from({ length: 500 }, (_, i) => `bulk${i}@shop.com`)];
    for (const body of [{ members_to_remove: many }, { members_to_add: many }]) {
      const refused = await refusal(client.lists.batchSegmentMembers(body, 'L1', id));
      expect(refused.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource' });
    }
    expect(await tagsOf('ann@shop.com')).toEqual(['hand-picked']);
    expect((await refusal(client.lists.batchSegmentMembers({ members_to_add: [] }, 'L1', 987654))).status).toBe(404);
    expect((await refusal(client.lists.batchSegmentMembers({ members_to_add: [] }, 'NOPE', id))).status).toBe(404);
    const malformed = await refusal(client.lists.batchSegmentMembers({ members_to_add: 'ann@shop.com' }, 'L1', id));
    expect(malformed.response?.body).toMatchObject({ status: 400, errors: [{ field: 'members_to_add' }] });
  });
});
