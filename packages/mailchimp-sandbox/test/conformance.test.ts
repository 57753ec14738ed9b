import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type RecordedResponse, type Sandbox } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A } from './support/client.js';
import { OpenApiConformance } from './support/conformance.js';

describe('the OpenAPI conformance check', () => {
  const conformance = new OpenApiConformance();
  const recorded: RecordedResponse[] = [];
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      seed: { apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'Main', members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] }] },
      onResponse: (response) => recorded.push(response),
    });
    const client = clientFor(sandbox, KEY_A);
    await client.lists.getListMembersInfo('L1');
    await client.lists.deleteListMember('L1', 'ann@shop.com');
  });
  afterAll(() => sandbox.close());

  const recordedFor = (route: string): RecordedResponse => {
    const found = recorded.find((response) => response.route === route);
    if (!found) throw new Error(`nothing recorded for ${route}`);
    return structuredClone(found);
  };

  it('accepts the responses the sandbox really sent', () => {
    expect(recorded).toHaveLength(2);
    for (const response of recorded) expect(conformance.check(response)).toEqual([]);
  });

  it('fails on a member whose status is outside the spec enum', () => {
    const response = recordedFor('/lists/{list_id}/members');
    (response.body as { members: { status: string }[] }).members[0].status = 'gone';
    expect(conformance.check(response)).toEqual([expect.stringContaining('/members/0/status must be equal to one of the allowed values')]);
  });

  it('fails on wrong types, malformed timestamps and a body where the spec has none', () => {
    const members = recordedFor('/lists/{list_id}/members');
    const body = members.body as { total_items: unknown; members: { last_changed: string }[] };
    body.total_items = '1';
    body.members[0].last_changed = '21/10/2015';
    expect(conformance.check(members)).toHaveLength(2);

    const archived = recordedFor('/lists/{list_id}/members/{subscriber_hash}');
    expect(archived.status).toBe(204);
    expect(conformance.check({ ...archived, body: { ok: true } })).toEqual([expect.stringContaining('declares no body')]);
  });

  it('fails on a problem document without its required fields, and on an unknown operation', () => {
    const problem = { method: 'GET', route: '/lists/{list_id}', status: 404, body: { title: 'Resource Not Found', status: 404 } };
    expect(conformance.check(problem)).toEqual(expect.arrayContaining([expect.stringContaining("must have required property 'detail'")]));
    expect(conformance.check({ method: 'GET', route: '/nowhere', status: 200, body: {} })).toEqual([expect.stringContaining('no such operation')]);
  });
});
