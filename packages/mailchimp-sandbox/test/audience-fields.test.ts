import { beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

// Interest categories and interests, marketing permissions (GDPR fields) and permanent deletion, through the
// official client, every answer checked against Mailchimp's OpenAPI spec.

describe('interests, marketing permissions and permanent deletion', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A],
      lists: [{
        id: 'GDPR',
        name: 'With GDPR fields',
        marketing_permissions: [{ marketing_permission_id: 'perm1', text: 'Email' }, { marketing_permission_id: 'perm2', text: 'Direct Mail' }],
        interest_categories: [{ id: 'cat1', title: 'Customer type', interests: [{ id: 'int1', name: 'VIP' }, { id: 'int2', name: 'Regular' }] }],
        members: [{ email_address: 'ann@shop.com', status: 'subscribed', interests: { int1: true }, marketing_permissions: { perm1: true } }],
      }, { id: 'PLAIN', name: 'Without' }],
    },
  });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  it('lists interest categories and their interests, and creates both', async () => {
    const categories = await client.lists.getListInterestCategories('GDPR');
    expect(categories).toMatchObject({ total_items: 1, categories: [{ id: 'cat1', title: 'Customer type', type: 'checkboxes' }] });
    const interests = await client.lists.listInterestCategoryInterests('GDPR', 'cat1');
    expect(interests.interests.map((i: { name: string; subscriber_count: string }) => [i.name, i.subscriber_count])).toEqual([['VIP', '1'], ['Regular', '0']]);

    const topics = await client.lists.createListInterestCategory('GDPR', { title: 'Topics', type: 'checkboxes' });
    const shoes = await client.lists.createInterestCategoryInterest('GDPR', topics.id, { name: 'Shoes' });
    expect(shoes).toMatchObject({ name: 'Shoes', category_id: topics.id });
    expect((await refusal(client.lists.createListInterestCategory('GDPR', { title: 'Topics', type: 'checkboxes' }))).status).toBe(400);
    expect((await refusal(client.lists.listInterestCategoryInterests('GDPR', 'nope'))).status).toBe(404);
  });

  it('shows every interest and permission of the list on a member, and sets them', async () => {
    const hash = subscriberHash('ann@shop.com');
    const ann = await client.lists.getListMember('GDPR', hash);
    expect(ann.interests).toMatchObject({ int1: true, int2: false });
    expect(ann.marketing_permissions).toEqual([
      { marketing_permission_id: 'perm1', text: 'Email', enabled: true },
      { marketing_permission_id: 'perm2', text: 'Direct Mail', enabled: false },
    ]);
    expect((await client.lists.getList('GDPR')).marketing_permissions).toBe(true);
    expect((await client.lists.getList('PLAIN')).marketing_permissions).toBe(false);

    const changed = await client.lists.updateListMember('GDPR', hash, { interests: { int2: true }, marketing_permissions: [{ marketing_permission_id: 'perm1', enabled: false }] });
    expect(changed.interests).toMatchObject({ int1: true, int2: true });
    expect(changed.marketing_permissions.map((p: { enabled: boolean }) => p.enabled)).toEqual([false, false]);
  });

  it('refuses an unknown interest or permission id and changes nothing', async () => {
    const hash = subscriberHash('ann@shop.com');
    const before = await client.lists.getListMember('GDPR', hash);
    const interest = await refusal(client.lists.updateListMember('GDPR', hash, { interests: { nope: true } }));
    expect(interest.response?.body.detail).toBe("Invalid interest ID: 'nope'.");
    const permission = await refusal(client.lists.updateListMember('GDPR', hash, { marketing_permissions: [{ marketing_permission_id: 'nope', enabled: true }] }));
    expect(permission.status).toBe(400);
    expect(await client.lists.getListMember('GDPR', hash)).toEqual(before);
  });

  it('sets interests through batch subscribe, which takes no marketing permissions', async () => {
    const answer = await client.lists.batchListMembers('GDPR', {
      members: [{ email_address: 'bob@shop.com', status: 'subscribed', interests: { int2: true }, marketing_permissions: [{ marketing_permission_id: 'perm1', enabled: true }] }],
    });
    expect(answer.errors).toEqual([]);
    const bob = await client.lists.getListMember('GDPR', subscriberHash('bob@shop.com'));
    expect(bob.interests).toMatchObject({ int1: false, int2: true });
    expect(bob.marketing_permissions.every((p: { enabled: boolean }) => !p.enabled)).toBe(true);
  });

  it('deletes a member permanently: the email cannot be imported again', async () => {
    await client.lists.batchListMembers('GDPR', { members: [{ email_address: 'gone@shop.com', status: 'subscribed' }] });
    await client.lists.deleteListMemberPermanent('GDPR', subscriberHash('gone@shop.com'));
    expect((await refusal(client.lists.getListMember('GDPR', subscriberHash('gone@shop.com')))).status).toBe(404);
    const again = await client.lists.batchListMembers('GDPR', { members: [{ email_address: 'gone@shop.com', status: 'subscribed' }] });
    expect(again.errors).toEqual([expect.objectContaining({ email_address: 'gone@shop.com', error: expect.stringContaining('permanently deleted') })]);
    const put = await refusal(client.lists.setListMember('GDPR', subscriberHash('gone@shop.com'), { email_address: 'gone@shop.com', status_if_new: 'subscribed' }));
    expect(put.response?.body.title).toBe('Forgotten Email Not Subscribed');
  });
});
