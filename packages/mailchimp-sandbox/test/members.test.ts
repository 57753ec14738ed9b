import { beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

const COMPLIANCE = 'Member In Compliance State';

describe('single members through the official client', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A],
      lists: [{
        id: 'L1',
        name: 'Main',
        members: [
          { email_address: 'sub@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Sue' } },
          { email_address: 'unsub@shop.com', status: 'unsubscribed' },
          { email_address: 'bounced@shop.com', status: 'cleaned' },
          { email_address: 'waiting@shop.com', status: 'pending' },
        ],
      }, {
        id: 'REQ',
        name: 'Required fields',
        merge_fields: [{ tag: 'FNAME', name: 'First', type: 'text', required: true }, { tag: 'AGE', name: 'Age', type: 'number' }],
      }],
    },
  });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  const statusOf = async (email: string): Promise<string> => (await client.lists.getListMember('L1', subscriberHash(email))).status;
  const confirmations = (email: string): number =>
    checked.sandbox.admin.dump().confirmationEmails.filter((sent) => sent.email_address === email).length;

  it('adds a member whose id is the MD5 of the lowercase email, and refuses adding it twice', async () => {
    const added = await client.lists.addListMember('L1', { email_address: 'New.Person@Shop.com', status: 'subscribed', tags: ['vip'] });
    expect(added).toMatchObject({ id: subscriberHash('new.person@shop.com'), status: 'subscribed', tags_count: 1, tags: [{ name: 'vip' }] });
    expect(added.last_changed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    const again = await refusal(client.lists.addListMember('L1', { email_address: 'new.person@shop.com', status: 'pending' }));
    expect(again.response?.body).toMatchObject({ status: 400, title: 'Member Exists' });
    expect(await client.lists.getListMember('L1', 'new.person@shop.com')).toMatchObject({ status: 'subscribed' });
  });

  it('upserts with PUT: status_if_new only on create, other fields without touching the status', async () => {
    const email = 'upsert@shop.com';
    const created = await client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status_if_new: 'subscribed', merge_fields: { FNAME: 'Una' } });
    expect(created).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Una', LNAME: '' } });
    const updated = await client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status_if_new: 'pending', merge_fields: { LNAME: 'Ups' } });
    expect(updated).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Una', LNAME: 'Ups' } });
    expect(updated.last_changed > created.last_changed).toBe(true);

    const noStatus = await refusal(client.lists.setListMember('L1', subscriberHash('fresh@shop.com'), { email_address: 'fresh@shop.com' }));
    expect(noStatus.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource', errors: [{ field: 'status' }] });
    const mismatch = await refusal(client.lists.setListMember('L1', subscriberHash('other@shop.com'), { email_address: email, status_if_new: 'subscribed' }));
    expect(mismatch.status).toBe(400);
  });

  it('moves last_changed forward on every change, even twice in one second, and not on an identical write', async () => {
    const hash = subscriberHash('sub@shop.com');
    const first = await client.lists.updateListMember('L1', hash, { merge_fields: { LNAME: 'One' } });
    const second = await client.lists.updateListMember('L1', hash, { merge_fields: { LNAME: 'Two' } });
    const same = await client.lists.updateListMember('L1', hash, { merge_fields: { LNAME: 'Two' } });
    expect(Date.parse(second.last_changed)).toBeGreaterThan(Date.parse(first.last_changed));
    expect(same.last_changed).toBe(second.last_changed);
  });

  it('refuses to subscribe unsubscribed or cleaned members (compliance) and leaves them untouched', async () => {
    for (const email of ['unsub@shop.com', 'bounced@shop.com']) {
      const hash = subscriberHash(email);
      const before = await client.lists.getListMember('L1', hash);
      const patched = await refusal(client.lists.updateListMember('L1', hash, { status: 'subscribed', merge_fields: { FNAME: 'Changed' } }));
      expect(patched.response?.body).toMatchObject({ status: 400, title: COMPLIANCE, detail: `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.` });
      const put = await refusal(client.lists.setListMember('L1', hash, { email_address: email, status: 'subscribed', status_if_new: 'subscribed' }));
      expect(put.response?.body.title).toBe(COMPLIANCE);
      expect(await client.lists.getListMember('L1', hash)).toEqual(before);
    }
  });

  it('lets a compliance-state member go to pending, and only the confirmation click subscribes them', async () => {
    const hash = subscriberHash('unsub@shop.com');
    expect((await client.lists.updateListMember('L1', hash, { status: 'pending' })).status).toBe('pending');
    expect(confirmations('unsub@shop.com')).toBe(1);
    checked.sandbox.admin.confirmMember('L1', 'unsub@shop.com');
    expect(await statusOf('unsub@shop.com')).toBe('subscribed');
  });

  it('sends one confirmation email for a new pending member and never re-sends while pending', async () => {
    const email = 'double@shop.com';
    await client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status_if_new: 'pending' });
    await client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status: 'pending', status_if_new: 'pending' });
    await client.lists.updateListMember('L1', subscriberHash(email), { status: 'pending' });
    expect(confirmations(email)).toBe(1);
    expect(() => checked.sandbox.admin.confirmMember('L1', 'sub@shop.com')).toThrow('not pending');
  });

  it('archives with DELETE, refuses archiving cleaned, pending or archived members with 405, and restores through PUT status', async () => {
    const email = 'archive.me@shop.com';
    const hash = subscriberHash(email);
    await client.lists.addListMember('L1', { email_address: email, status: 'subscribed' });
    expect(await client.lists.deleteListMember('L1', hash)).toBeNull();
    expect(await statusOf(email)).toBe('archived');

    for (const target of [email, 'bounced@shop.com', 'waiting@shop.com']) {
      const refused = await refusal(client.lists.deleteListMember('L1', subscriberHash(target)));
      expect(refused.status).toBe(405);
      expect(refused.response?.body.title).toBe('Method Not Allowed');
      expect(refused.response?.headers.allow).toBe('GET, PUT');
    }
    expect((await refusal(client.lists.addListMember('L1', { email_address: email, status: 'subscribed' }))).response?.body.title).toBe('Member Exists');
    await client.lists.setListMember('L1', hash, { email_address: email, status_if_new: 'subscribed' });
    expect(await statusOf(email)).toBe('archived');
    await client.lists.setListMember('L1', hash, { email_address: email, status: 'subscribed', status_if_new: 'subscribed' });
    expect(await statusOf(email)).toBe('subscribed');
  });

  it('keeps compliance after archiving an unsubscribed member', async () => {
    const email = 'gone.quiet@shop.com';
    await client.lists.addListMember('L1', { email_address: email, status: 'unsubscribed' });
    await client.lists.deleteListMember('L1', subscriberHash(email));
    const refused = await refusal(client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status: 'subscribed', status_if_new: 'subscribed' }));
    expect(refused.response?.body.title).toBe(COMPLIANCE);
  });

  it('deletes permanently, after which the email can never be written again', async () => {
    const email = 'forget.me@shop.com';
    const hash = subscriberHash(email);
    await client.lists.addListMember('L1', { email_address: email, status: 'subscribed' });
    expect(await client.lists.deleteListMemberPermanent('L1', hash)).toBeNull();
    expect((await refusal(client.lists.getListMember('L1', hash))).status).toBe(404);
    const writes = [
      client.lists.addListMember('L1', { email_address: email, status: 'subscribed' }),
      client.lists.setListMember('L1', hash, { email_address: email, status_if_new: 'subscribed' }),
    ];
    for (const write of writes) {
      expect((await refusal(write)).response?.body).toMatchObject({ status: 400, title: 'Forgotten Email Not Subscribed' });
    }
    expect((await refusal(client.lists.deleteListMemberPermanent('L1', hash))).status).toBe(404);
  });

  it.each(['plainaddress', 'two@@shop.com', 'no-dot@localhost', 'trailing.dot.@shop.com', 'someone@shop.invalid', 'x@shop.c'])(
    'refuses the invalid email %s like Mailchimp', async (email) => {
      const refused = await refusal(client.lists.addListMember('L1', { email_address: email, status: 'subscribed' }));
      expect(refused.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource', detail: `${email} looks fake or invalid, please enter a real email address.` });
      const put = await refusal(client.lists.setListMember('L1', subscriberHash(email), { email_address: email, status_if_new: 'subscribed' }));
      expect(put.response?.body.title).toBe('Invalid Resource');
    });

  it('validates merge fields: unknown tags, wrong types and missing required values are refused', async () => {
    const unknown = await refusal(client.lists.addListMember('L1', { email_address: 'mf@shop.com', status: 'subscribed', merge_fields: { NOPE: 'x' } }));
    expect(unknown.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource', errors: [{ field: 'NOPE' }] });
    const missing = await refusal(client.lists.addListMember('REQ', { email_address: 'mf@shop.com', status: 'subscribed', merge_fields: { AGE: 3 } }));
    expect(missing.response?.body.errors).toEqual([{ field: 'FNAME', message: 'Please enter a value' }]);
    const wrongType = await refusal(client.lists.addListMember('REQ', { email_address: 'mf@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Mo', AGE: 'old' } }));
    expect(wrongType.response?.body.errors).toEqual([{ field: 'AGE', message: 'Please enter a number' }]);
    const skipped = await client.lists.addListMember('REQ', { email_address: 'mf@shop.com', status: 'subscribed' }, { skipMergeValidation: true });
    expect(skipped.merge_fields).toEqual({ FNAME: '', AGE: '' });
  });

  it('cuts text merge values to 255 bytes on store without splitting a character', async () => {
    const value = 'é'.repeat(200); // 400 bytes of UTF-8
    const member = await client.lists.addListMember('L1', { email_address: 'long@shop.com', status: 'subscribed', merge_fields: { FNAME: value } });
    expect(member.merge_fields.FNAME).toBe('é'.repeat(127));
    expect(Buffer.byteLength(member.merge_fields.FNAME)).toBe(254);
  });

  it('adds and removes tags (204), shows at most 50 on the member, all through /tags', async () => {
    const hash = subscriberHash('sub@shop.com');
    const tags = Array.from({ length: 55 }, (_, i) => ({ name: `t${i}`, status: 'active' }));
    expect(await client.lists.updateListMemberTags('L1', hash, { tags })).toBeNull();
    await client.lists.updateListMemberTags('L1', hash, { tags: [{ name: 't0', status: 'inactive' }] });
    const member = await client.lists.getListMember('L1', hash);
    expect(member.tags_count).toBe(54);
    expect(member.tags).toHaveLength(50);
    expect(member.tags[0]).toEqual({ id: expect.any(Number), name: 't1' });
    const page = await client.lists.getListMemberTags('L1', hash, { count: 100 });
    expect(page.total_items).toBe(54);
    expect((await refusal(client.lists.updateListMemberTags('L1', subscriberHash('nobody@shop.com'), { tags }))).status).toBe(404);
    expect((await refusal(client.lists.updateListMemberTags('L1', hash, { tags: [{ name: 'x' }] }))).status).toBe(400);
  });

  it('answers 404 for unknown members and lists, and 400 JSON Parse Exception for a broken body', async () => {
    expect((await refusal(client.lists.getListMember('L1', subscriberHash('nobody@shop.com')))).status).toBe(404);
    expect((await refusal(client.lists.updateListMember('L1', subscriberHash('nobody@shop.com'), { vip: true }))).status).toBe(404);
    expect((await refusal(client.lists.getListMembersInfo('NOPE'))).status).toBe(404);
    const broken = await fetch(`${checked.sandbox.baseUrl}/lists/L1/members`, {
      method: 'POST', body: '{"email_address":', headers: { Authorization: `Basic ${Buffer.from(`u:${KEY_A}`).toString('base64')}` },
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { title: string }).title).toBe('JSON Parse Exception');
  });
});
