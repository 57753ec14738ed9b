import { afterAll, describe, expect, it } from '@jest/globals';
import { clientFor, KEY_A, KEY_B, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';

describe('ping, lists and merge fields through the official client', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A, KEY_B],
      lists: [
        { id: 'L1', name: 'Newsletter', double_optin: true, members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] },
        { id: 'L2', name: 'Custom', merge_fields: [{ tag: 'COLOR', name: 'Colour', type: 'dropdown', options: { choices: ['red', 'blue'] } }] },
      ],
    },
  });
  afterAll(() => expect(checked.checked()).toBeGreaterThan(10));

  it('answers ping for two clients with different keys in one process', async () => {
    const [a, b] = [clientFor(checked.sandbox, KEY_A), clientFor(checked.sandbox, KEY_B)];
    const answers = await Promise.all([a.ping.get(), b.ping.get(), a.ping.get()]);
    expect(answers).toEqual(Array(3).fill({ health_status: "Everything's Chimpy!" }));
  });

  it('refuses a wrong key and a missing key with 401 problem documents', async () => {
    const wrong = await refusal(clientFor(checked.sandbox, '00000000000000000000000000000000-us21').ping.get());
    expect(wrong.status).toBe(401);
    expect(wrong.response?.body.title).toBe('API Key Invalid');
    expect(wrong.response?.headers['content-type']).toMatch(/^application\/problem\+json/);

    const missing = await fetch(`${checked.sandbox.baseUrl}/ping`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { title: string }).title).toBe('API Key Missing');
  });

  it('lists audiences and reads one with its double opt-in setting and counts', async () => {
    const client = clientFor(checked.sandbox, KEY_A);
    const all = await client.lists.getAllLists();
    expect(all.total_items).toBe(2);
    expect(all.lists.map((list: { id: string }) => list.id)).toEqual(['L1', 'L2']);
    const one = await client.lists.getList('L1');
    expect(one).toMatchObject({ id: 'L1', name: 'Newsletter', double_optin: true, stats: { member_count: 1, total_contacts: 1 } });
    expect((await refusal(client.lists.getList('nope'))).response?.body).toMatchObject({ status: 404, title: 'Resource Not Found' });
  });

  it('gives every list the default merge fields unless others are seeded', async () => {
    const client = clientFor(checked.sandbox, KEY_A);
    const defaults = await client.lists.getListMergeFields('L1');
    expect(defaults.merge_fields.map((field: { tag: string }) => field.tag)).toEqual(['FNAME', 'LNAME', 'ADDRESS', 'PHONE']);
    const custom = await client.lists.getListMergeFields('L2');
    expect(custom.merge_fields).toEqual([expect.objectContaining({ tag: 'COLOR', type: 'dropdown', options: { choices: ['red', 'blue'] } })]);
  });

  it('creates merge fields: name and type required, MMERGEn when no tag, tags of at most 10 characters', async () => {
    const client = clientFor(checked.sandbox, KEY_A);
    const generated = await client.lists.addListMergeField('L1', { name: 'Shoe size', type: 'number' });
    expect(generated).toMatchObject({ tag: 'MMERGE5', name: 'Shoe size', type: 'number', list_id: 'L1' });
    const named = await client.lists.addListMergeField('L1', { name: 'Loyalty', type: 'text', tag: 'loyalty' });
    expect(named.tag).toBe('LOYALTY');

    const tooLong = await refusal(client.lists.addListMergeField('L1', { name: 'Long', type: 'text', tag: 'ELEVENCHARS' }));
    expect(tooLong.response?.body).toMatchObject({ status: 400, title: 'Invalid Resource', errors: [expect.objectContaining({ field: 'tag' })] });
    const incomplete = await refusal(client.lists.addListMergeField('L1', { tag: 'X' }));
    expect(incomplete.response?.body.errors?.map((error) => error.field)).toEqual(['name', 'type']);
    const duplicate = await refusal(client.lists.addListMergeField('L1', { name: 'Again', type: 'text', tag: 'FNAME' }));
    expect(duplicate.status).toBe(400);
  });

  it('answers 405 with an Allow header for a method the resource does not have', async () => {
    const response = await fetch(`${checked.sandbox.baseUrl}/ping`, { method: 'DELETE', headers: { Authorization: `Basic ${Buffer.from(`u:${KEY_A}`).toString('base64')}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});
