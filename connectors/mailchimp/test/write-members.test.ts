import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startSandbox, type DumpedMember, type SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type ConnectorSession, type MemberPayload } from '@cdp/sdk';
import { collect, connect, KEY_A, startTestSandbox, type TestSandbox } from './support/sandbox-session.js';

const payload = (email: string, fname = 'New'): MemberPayload => ({ memberId: subscriberHash(email), email, mergeFields: { FNAME: fname }, tags: ['cdp'] });

const existing: SeedMember[] = [
  { email_address: 'ann@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Ann' } },
  { email_address: 'ben@shop.com', status: 'unsubscribed' },
  { email_address: 'cat@shop.com', status: 'cleaned' },
  { email_address: 'dan@shop.com', status: 'pending' },
];

describe('writing members', () => {
  let sb: TestSandbox;
  let session: ConnectorSession;
  const member = (email: string): DumpedMember | undefined =>
    sb.sandbox.admin.dump().lists.find((l) => l.id === 'L1')!.members.find((m) => m.email_address === email);
  const confirmations = (): string[] => sb.sandbox.admin.dump().confirmationEmails.map((c) => c.email_address);

  beforeEach(async () => {
    if (!sb) sb = await startTestSandbox();
    sb.sandbox.admin.reset();
    sb.sandbox.admin.resetCounters();
    sb.sandbox.admin.seed({ apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', double_optin: true, members: existing }] });
    session = await connect(sb.sandbox);
  });
  afterAll(() => sb.sandbox.close());

  it('asks batch subscribe to answer with only what it reads: each member\'s email, an update\'s status, the errors', async () => {
    const answers: unknown[] = [];
    const own = await startSandbox({
      seed: { apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', members: existing }] },
      onResponse: ({ method, route, body }) => void (method === 'POST' && route === '/lists/{list_id}' && answers.push(body)),
    });
    try {
      const known = new Set([subscriberHash('ann@shop.com')]);
      await (await connect(own)).members.upsertMembers('L1', ['ann@shop.com', 'new@shop.com'].map((e) => payload(e)), { createMembers: true, newMemberStatus: 'subscribed', knownMembers: known });
      expect(answers).toEqual([
        { new_members: [], updated_members: [{ email_address: 'ann@shop.com', status: 'subscribed' }], errors: [] },
        { new_members: [{ email_address: 'new@shop.com' }], updated_members: [], errors: [] },
      ]);
    } finally {
      await own.close();
    }
  });

  it('creates new members and updates existing ones without touching their status', async () => {
    const results = await session.members.upsertMembers('L1', ['ann@shop.com', 'new@shop.com', 'dan@shop.com'].map((e) => payload(e)), {
      createMembers: true,
      newMemberStatus: 'subscribed',
    });
    expect(results.map((r) => [r.email, r.outcome])).toEqual([
      ['ann@shop.com', 'updated'],
      ['new@shop.com', 'created'],
      ['dan@shop.com', 'updated'],
    ]);
    expect(member('ann@shop.com')).toMatchObject({ status: 'subscribed', merge_fields: expect.objectContaining({ FNAME: 'New' }), tags: ['cdp'] });
    expect(member('new@shop.com')).toMatchObject({ status: 'subscribed', tags: ['cdp'] });
    expect(member('dan@shop.com')?.status).toBe('pending');
    expect(session.stats().apiCalls).toBe(2);
  });

  it('updates known members in one call, and still creates a known member Mailchimp no longer has', async () => {
    const knownMembers = new Set(['ann@shop.com', 'gone@shop.com'].map(subscriberHash));
    const results = await session.members.upsertMembers('L1', ['ann@shop.com', 'gone@shop.com', 'dan@shop.com'].map((e) => payload(e, 'Known')), {
      createMembers: true,
      newMemberStatus: 'subscribed',
      knownMembers,
    });
    expect(results.map((r) => [r.email, r.outcome])).toEqual([
      ['ann@shop.com', 'updated'],
      ['gone@shop.com', 'created'],
      ['dan@shop.com', 'updated'],
    ]);
    expect(member('gone@shop.com')).toMatchObject({ status: 'subscribed', merge_fields: expect.objectContaining({ FNAME: 'Known' }) });
    expect(member('dan@shop.com')?.status).toBe('pending');
    // known update, create (gone + dan), update of dan who existed
    expect(session.stats().apiCalls).toBe(3);

    sb.sandbox.admin.resetCounters();
    const onlyKnown = await connect(sb.sandbox);
    await onlyKnown.members.upsertMembers('L1', [payload('ann@shop.com', 'Again')], { createMembers: true, newMemberStatus: 'subscribed', knownMembers });
    expect(onlyKnown.stats().apiCalls).toBe(1);
    expect(member('ann@shop.com')?.merge_fields.FNAME).toBe('Again');
  });

  it('creates pending members with one confirmation, and never sends a second one on update', async () => {
    const options = { createMembers: true, newMemberStatus: 'pending' as const };
    await session.members.upsertMembers('L1', [payload('new@shop.com')], options);
    expect(member('new@shop.com')?.status).toBe('pending');
    expect(confirmations()).toEqual(['new@shop.com']);
    const again = await session.members.upsertMembers('L1', [payload('new@shop.com', 'Changed'), payload('dan@shop.com')], options);
    expect(again.map((r) => r.outcome)).toEqual(['updated', 'updated']);
    expect(member('new@shop.com')).toMatchObject({ status: 'pending', merge_fields: expect.objectContaining({ FNAME: 'Changed' }) });
    expect(confirmations()).toEqual(['new@shop.com']);
  });

  it('only updates with createMembers off: unknown members are skipped as not a member', async () => {
    const results = await session.members.upsertMembers('L1', [payload('ann@shop.com'), payload('new@shop.com')], { createMembers: false, newMemberStatus: 'subscribed' });
    expect(results).toEqual([
      { memberId: subscriberHash('ann@shop.com'), email: 'ann@shop.com', outcome: 'updated' },
      { memberId: subscriberHash('new@shop.com'), email: 'new@shop.com', outcome: 'skipped', reason: 'not a member' },
    ]);
    expect(member('new@shop.com')).toBeUndefined();
    expect(session.stats().apiCalls).toBe(1);
  });

  it('never re-subscribes unsubscribed or cleaned members: they come back as compliance', async () => {
    const results = await session.members.upsertMembers('L1', [payload('ben@shop.com'), payload('cat@shop.com')], { createMembers: true, newMemberStatus: 'subscribed' });
    expect(results.map((r) => r.outcome)).toEqual(['compliance', 'compliance']);
    expect(results[0].reason).toContain('unsubscribed');
    expect(member('ben@shop.com')?.status).toBe('unsubscribed');
    expect(member('cat@shop.com')?.status).toBe('cleaned');
  });

  it("fails an invalid email with Mailchimp's reason and writes the rest", async () => {
    const results = await session.members.upsertMembers('L1', [payload('not-an-email'), payload('ok@shop.com')], { createMembers: true, newMemberStatus: 'subscribed' });
    expect(results[0]).toMatchObject({ email: 'not-an-email', outcome: 'failed', reason: expect.stringMatching(/invalid|fake/i) });
    expect(results[1].outcome).toBe('created');
    const updateOnly = await session.members.upsertMembers('L1', [payload('not-an-email')], { createMembers: false, newMemberStatus: 'subscribed' });
    expect(updateOnly[0].outcome).toBe('failed');
  });

  it('reports merge fields the audience lacks, and creates them when asked', async () => {
    expect(await session.members.ensureFields('L1', ['FNAME', 'SEGMENTS', 'SCORE'], false)).toEqual({ missing: ['SEGMENTS', 'SCORE'], created: [] });
    expect(await session.members.ensureFields('L1', ['FNAME', 'SEGMENTS'], true)).toEqual({ missing: [], created: ['SEGMENTS'] });
    const fields = sb.sandbox.admin.dump().lists[0].merge_fields.map((f) => f.tag);
    expect(fields).toContain('SEGMENTS');
    expect(await session.members.ensureFields('L1', ['SEGMENTS'], false)).toEqual({ missing: [], created: [] });
  });

  it('looks up a few members: their status, absent when the audience has none', async () => {
    const statuses = await session.members.memberStatuses('L1', ['ann@shop.com', 'ben@shop.com', 'nobody@shop.com'].map(subscriberHash));
    expect(statuses).toEqual(new Map([[subscriberHash('ann@shop.com'), 'subscribed'], [subscriberHash('ben@shop.com'), 'unsubscribed']]));
    expect(session.stats().apiCalls).toBe(3);
  });

  it('lists every member that is not archived', async () => {
    await session.members.removeMembers('L1', [{ id: subscriberHash('ann@shop.com'), email: 'ann@shop.com', status: 'subscribed' }], 'archive');
    const listed = await collect(session.members.listMembers('L1'));
    expect(listed.map((m) => [m.email, m.status]).sort()).toEqual([
      ['ben@shop.com', 'unsubscribed'],
      ['cat@shop.com', 'cleaned'],
      ['dan@shop.com', 'pending'],
    ]);
    expect(listed[0].id).toBe(subscriberHash(listed[0].email));
  });

  it('archives members, and reports those Mailchimp cannot archive (cleaned, pending) as skipped with its reason', async () => {
    const listed = await collect(session.members.listMembers('L1'));
    const results = await session.members.removeMembers('L1', listed, 'archive');
    const byEmail = Object.fromEntries(results.map((r) => [r.email, r]));
    expect(byEmail['ann@shop.com'].outcome).toBe('updated');
    expect(byEmail['ben@shop.com'].outcome).toBe('updated');
    expect(byEmail['cat@shop.com']).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('cannot be removed') });
    expect(byEmail['dan@shop.com'].outcome).toBe('skipped');
    expect(member('ann@shop.com')?.status).toBe('archived');
    expect(member('cat@shop.com')?.status).toBe('cleaned');
  });

  it('unsubscribes members in batch calls', async () => {
    const results = await session.members.removeMembers('L1', [{ id: subscriberHash('ann@shop.com'), email: 'ann@shop.com', status: 'subscribed' }], 'unsubscribe');
    expect(results).toEqual([{ memberId: subscriberHash('ann@shop.com'), email: 'ann@shop.com', outcome: 'updated' }]);
    expect(member('ann@shop.com')?.status).toBe('unsubscribed');
  });

  it('splits more than 500 members into several batch calls', async () => {
    const many = Array.from({ length: 620 }, (_, i) => payload(`bulk${i}@shop.com`));
    const results = await session.members.upsertMembers('L1', many, { createMembers: true, newMemberStatus: 'subscribed' });
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(620);
    expect(sb.sandbox.admin.counters().byRoute['POST /3.0/lists/{list_id}']).toBe(2);
  });
});
