import { beforeAll, describe, expect, it } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, refusal } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';
import type ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';

/** Reads the first file of a gzipped tar archive. */
function firstFileOf(archive: Buffer): { name: string; content: string } {
  const tar = gunzipSync(archive);
  const name = tar.subarray(0, 100).toString('ascii').replace(/\0.*$/s, '');
  const size = parseInt(tar.subarray(124, 136).toString('ascii'), 8);
  return { name, content: tar.subarray(512, 512 + size).toString('utf8') };
}

describe('campaign activity and batch operations', () => {
  const checked = checkedSandboxForSuite({
    seed: {
      apiKeys: [KEY_A],
      lists: [{ id: 'L1', name: 'Main', members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] }, { id: 'L2', name: 'Other' }],
      campaigns: [
        { id: 'C1', list_id: 'L1', send_time: '2024-03-01T09:00:00+00:00', recipients: [
          { email_address: 'ann@shop.com', activity: [{ action: 'open', timestamp: '2024-03-01T10:00:00+00:00' }, { action: 'click', timestamp: '2024-03-02T10:00:00+00:00' }] },
          { email_address: 'bob@shop.com' },
        ] },
        { id: 'C2', list_id: 'L1', send_time: '2024-03-08T09:00:00+00:00', recipients: [{ email_address: 'ann@shop.com' }] },
        { id: 'C3', list_id: 'L2', send_time: '2024-03-08T09:00:00+00:00', recipients: [] },
      ],
    },
  });
  let client: ApiClient;
  beforeAll(() => {
    client = clientFor(checked.sandbox, KEY_A);
  });

  it('lists sent campaigns of one audience since a send time (inclusive)', async () => {
    const all = await client.campaigns.list({ listId: 'L1', status: 'sent', count: 10 });
    expect(all.campaigns.map((campaign: { id: string }) => campaign.id)).toEqual(['C1', 'C2']);
    expect(all.campaigns[0]).toMatchObject({ status: 'sent', emails_sent: 2, recipients: { list_id: 'L1', recipient_count: 2 } });
    const since = await client.campaigns.list({ listId: 'L1', sinceSendTime: '2024-03-08T09:00:00+00:00' });
    expect(since.total_items).toBe(1);
    expect((await client.campaigns.list({ status: 'save' })).total_items).toBe(0);
  });

  it('reports email activity with one entry per recipient, filtered by since', async () => {
    const report = await client.reports.getEmailActivityForCampaign('C1');
    expect(report).toMatchObject({ campaign_id: 'C1', total_items: 2 });
    expect(report.emails[0]).toMatchObject({ email_address: 'ann@shop.com', email_id: subscriberHash('ann@shop.com'), activity: [{ action: 'open' }, { action: 'click' }] });
    expect(report.emails[1].activity).toEqual([]);
    const since = await client.reports.getEmailActivityForCampaign('C1', { since: '2024-03-02T00:00:00+00:00' });
    expect(since.emails[0].activity.map((entry: { action: string }) => entry.action)).toEqual(['click']);
    expect((await refusal(client.reports.getEmailActivityForCampaign('NOPE'))).status).toBe(404);
  });

  it('takes activity and campaigns added at run time', async () => {
    checked.sandbox.admin.addActivity('C2', 'ann@shop.com', [{ action: 'open', timestamp: '2024-03-08T12:00:00+00:00' }]);
    checked.sandbox.admin.addCampaign({ id: 'C4', list_id: 'L1', send_time: '2024-03-15T09:00:00+00:00', recipients: [{ email_address: 'ann@shop.com' }] });
    expect((await client.reports.getEmailActivityForCampaign('C2')).emails[0].activity).toHaveLength(1);
    expect((await client.campaigns.list({ listId: 'L1' })).total_items).toBe(3);
  });

  it('runs batch operations and serves their results as a gzipped tar', async () => {
    const started = await client.batches.start({
      operations: [
        { method: 'PATCH', path: `/lists/L1/members/${subscriberHash('ann@shop.com')}`, body: JSON.stringify({ merge_fields: { FNAME: 'Ann' } }), operation_id: 'rename' },
        { method: 'GET', path: '/lists/L1/members', params: { count: 5 }, operation_id: 'read' },
        { method: 'POST', path: '/lists/L1/members', body: JSON.stringify({ email_address: 'ann@shop.com', status: 'subscribed' }), operation_id: 'dupe' },
      ],
    });
    expect(started).toMatchObject({ status: 'pending', total_operations: 3 });
    const status = await client.batches.status(started.id);
    expect(status).toMatchObject({ status: 'finished', finished_operations: 3, errored_operations: 1 });
    const archive = Buffer.from(await (await fetch(status.response_body_url)).arrayBuffer());
    const results = JSON.parse(firstFileOf(archive).content) as { status_code: number; operation_id: string; response: string }[];
    expect(results.map((result) => [result.operation_id, result.status_code])).toEqual([['rename', 200], ['read', 200], ['dupe', 400]]);
    expect(JSON.parse(results[1].response).members[0].merge_fields.FNAME).toBe('Ann');
    expect(JSON.parse(results[2].response).title).toBe('Member Exists');
    expect((await refusal(client.batches.status('nope'))).status).toBe(404);
    expect((await refusal(client.batches.start({ operations: [{ method: 'GET' }] }))).status).toBe(400);
  });
});
