import { beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

describe('batch subscribe POST /lists/{list_id}', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A],
      lists: [{
        id: 'L1',
        name: 'Main',
        merge_fields: [{ tag: 'FNAME', name: 'First', type: 'text' }, { tag: 'POINTS', name: 'Points', type: 'number' }],
        members: [
          { email_address: 'kept@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Kay' }, tags: ['old'] },
          { email_address: 'unsub@shop.com', status: 'unsubscribed' },
          { email_address: 'bounced@shop.com', status: 'cleaned' },
          { email_address: 'waiting@shop.com', status: 'pending' },
        ],
      }],
    },
  });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  const member = (email: string): Promise<{ status: string; merge_fields: Record<string, unknown>; tags: { name: string }[]; last_changed: string }> =>
    client.lists.getListMember('L1', subscriberHash(email));

  it('creates and updates members, reporting each with its status and the counts', async () => {
    const result = await client.lists.batchListMembers('L1', {
      update_existing: true,
      members: [
        { email_address: 'fresh@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Fay' }, tags: ['new'] },
        { email_address: 'kept@shop.com', merge_fields: { POINTS: 12 }, tags: ['vip'] },
      ],
    });
    expect(result).toMatchObject({ total_created: 1, total_updated: 1, error_count: 0, errors: [] });
    expect(result.new_members[0]).toMatchObject({ email_address: 'fresh@shop.com', status: 'subscribed' });
    expect(result.updated_members[0]).toMatchObject({ email_address: 'kept@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Kay', POINTS: 12 } });
    expect((await member('kept@shop.com')).tags.map((tag) => tag.name)).toEqual(['old', 'vip']);
  });

  it('answers 200 with per-member errors and leaves refused members untouched', async () => {
    const before = await Promise.all(['kept@shop.com', 'unsub@shop.com', 'bounced@shop.com'].map(member));
    const result = await client.lists.batchListMembers('L1', {
      update_existing: false,
      members: [
        { email_address: 'kept@shop.com', status: 'unsubscribed' },
        { email_address: 'not-an-email', status: 'subscribed' },
        { email_address: 'nostatus@shop.com' },
        { email_address: 'badpoints@shop.com', status: 'subscribed', merge_fields: { POINTS: 'many' } },
        { email_address: 'fine@shop.com', status: 'subscribed' },
      ],
    });
    expect(result.total_created).toBe(1);
    expect(result.errors).toEqual([
      expect.objectContaining({ email_address: 'kept@shop.com', error_code: 'ERROR_CONTACT_EXISTS' }),
      expect.objectContaining({ email_address: 'not-an-email', error_code: 'ERROR_GENERIC', error: 'not-an-email looks fake or invalid, please enter a real email address.' }),
      expect.objectContaining({ email_address: 'nostatus@shop.com', error_code: 'ERROR_GENERIC', error: 'status is required for new members' }),
      expect.objectContaining({ email_address: 'badpoints@shop.com', error_code: 'ERROR_GENERIC', field: 'POINTS', field_message: 'Please enter a number' }),
    ]);
    expect(result.error_count).toBe(4);

    const compliance = await client.lists.batchListMembers('L1', {
      update_existing: true,
      members: [{ email_address: 'unsub@shop.com', status: 'subscribed' }, { email_address: 'bounced@shop.com', status: 'subscribed', merge_fields: { FNAME: 'B' } }],
    });
    expect(compliance.errors.map((error: { error_code: string; error: string }) => [error.error_code, error.error])).toEqual([
      ['ERROR_GENERIC', 'unsub@shop.com is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.'],
      ['ERROR_GENERIC', 'bounced@shop.com is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.'],
    ]);
    expect(await Promise.all(['kept@shop.com', 'unsub@shop.com', 'bounced@shop.com'].map(member))).toEqual(before);
  });

  it('keeps a member status when an update carries none, and sends one confirmation for new pending members only', async () => {
    const sentBefore = checked.sandbox.admin.dump().confirmationEmails.length;
    const result = await client.lists.batchListMembers('L1', {
      update_existing: true,
      members: [
        { email_address: 'unsub@shop.com', merge_fields: { FNAME: 'Una' } },
        { email_address: 'waiting@shop.com', status: 'pending' },
        { email_address: 'newpending@shop.com', status: 'pending' },
      ],
    });
    expect(result.updated_members.map((entry: { status: string }) => entry.status)).toEqual(['unsubscribed', 'pending']);
    const sent = checked.sandbox.admin.dump().confirmationEmails.slice(sentBefore);
    expect(sent.map((entry) => entry.email_address)).toEqual(['newpending@shop.com']);
  });

  it('replaces tags with sync_tags and ignores repeated emails with skip_duplicate_check', async () => {
    const result = await client.lists.batchListMembers('L1', {
      update_existing: true, sync_tags: true,
      members: [{ email_address: 'kept@shop.com', tags: ['only'] }, { email_address: 'KEPT@shop.com', status: 'unsubscribed' }],
    }, { skipDuplicateCheck: true });
    expect(result).toMatchObject({ total_updated: 1, error_count: 0 });
    expect(await member('kept@shop.com')).toMatchObject({ status: 'subscribed', tags: [{ name: 'only' }] });
  });

  it('trims its answer to the fields asked for, and applies the write whatever the fields name', async () => {
    // The client's batchListMembers sends no `fields`; its generic call path does, as the connector sends it.
    const post = async (members: object[], fields: string): Promise<unknown> => (await client.callApi(
      '/lists/{list_id}', 'POST', { list_id: 'L1' }, { fields }, {}, {}, { members, update_existing: true },
      ['basicAuth'], ['application/json'], ['application/json'], 'application/json',
    )).data;
    const answer = await post(
      [{ email_address: 'trim-new@shop.com', status: 'subscribed' }, { email_address: 'kept@shop.com', merge_fields: { FNAME: 'Trim' } }, { email_address: 'bad' }],
      'new_members.email_address,updated_members.email_address,updated_members.status,errors.email_address,total_created',
    );
    expect(answer).toEqual({
      new_members: [{ email_address: 'trim-new@shop.com' }],
      updated_members: [{ email_address: 'kept@shop.com', status: 'subscribed' }],
      errors: [{ email_address: 'bad' }],
      total_created: 1,
    });
    // A path the answer lacks does not fail a write that has happened: it is left out.
    expect(await post([{ email_address: 'kept@shop.com', merge_fields: { FNAME: 'Again' } }], 'updated_members.no_such_field,error_count')).toEqual({
      updated_members: [{}], error_count: 0,
    });
    expect((await member('kept@shop.com')).merge_fields.FNAME).toBe('Again');
  });

  it('takes at most 500 members per call', async () => {
    const members = (count: number): { email_address: string; status: string }[] =>
      Array.from({ length: count }, (_, i) => ({ email_address: `bulk${i}@shop.com`, status: 'subscribed' }));
    const refused = await refusal(client.lists.batchListMembers('L1', { members: members(501) }));
    expect(refused.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource' });
    expect(checked.sandbox.admin.dump().lists[0].members.some((entry) => entry.email_address === 'bulk0@shop.com')).toBe(false);
    const accepted = await client.lists.batchListMembers('L1', { members: members(500) });
    expect(accepted.total_created).toBe(500);
  });
});
