import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type ConnectorSession, type TagRemoval } from '@cdp/sdk';
import { connect, KEY_A, startTestSandbox, type TestSandbox } from './support/sandbox-session.js';

const SEGMENT_CALLS = 'POST /3.0/lists/{list_id}/segments/{segment_id}';
const LISTINGS = 'GET /3.0/lists/{list_id}/segments';

const removal = (email: string, tags: string[]): TagRemoval => ({ memberId: subscriberHash(email), email, tags });

const members: SeedMember[] = [
  { email_address: 'ann@shop.com', status: 'subscribed', tags: ['cdp-vip', 'cdp-churn', 'hand-picked'] },
  { email_address: 'ben@shop.com', status: 'subscribed', tags: ['cdp-vip', 'CDP-VIP', 'met at fair'] },
  { email_address: 'cat@shop.com', status: 'unsubscribed', tags: ['cdp-vip', 'cdp-churn'] },
];

describe('removing tags', () => {
  let sb: TestSandbox;
  let session: ConnectorSession;
  const tagsOf = (email: string, list = 'L1'): string[] | undefined =>
    sb.sandbox.admin.dump().lists.find((l) => l.id === list)?.members.find((m) => m.email_address === email)?.tags;
  const calls = (route: string): number => sb.sandbox.admin.counters().byRoute[route] ?? 0;

  beforeEach(async () => {
    if (!sb) sb = await startTestSandbox();
    sb.sandbox.admin.reset();
    sb.sandbox.admin.resetCounters();
    sb.sandbox.admin.seed({ apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', members }] });
    session = await connect(sb.sandbox);
  });
  afterAll(() => sb.sandbox.close());

  it('takes off only the named tags, leaving the tags marketers added', async () => {
    const results = await session.members.removeTags('L1', [removal('ann@shop.com', ['cdp-vip']), removal('ben@shop.com', ['cdp-vip'])]);
    expect(results).toEqual([
      { memberId: subscriberHash('ann@shop.com'), email: 'ann@shop.com', outcome: 'updated' },
      { memberId: subscriberHash('ben@shop.com'), email: 'ben@shop.com', outcome: 'updated' },
    ]);
    expect(tagsOf('ann@shop.com')).toEqual(['cdp-churn', 'hand-picked']);
    expect(tagsOf('ben@shop.com')).toEqual(['CDP-VIP', 'met at fair']);
    expect(tagsOf('cat@shop.com')).toEqual(['cdp-vip', 'cdp-churn']);
  });

  it('costs one call per tag, not per member, and lists the tags once per session', async () => {
    const everyone = members.map((m) => removal(m.email_address, ['cdp-vip', 'cdp-churn']));
    const results = await session.members.removeTags('L1', everyone);
    expect(results.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated']);
    expect(calls(SEGMENT_CALLS)).toBe(2);
    expect(tagsOf('cat@shop.com')).toEqual([]);

    await session.members.removeTags('L1', [removal('ben@shop.com', ['CDP-VIP'])]);
    expect(calls(LISTINGS)).toBe(1);
    expect(session.stats().apiCalls).toBe(4);
    expect(tagsOf('ben@shop.com')).toEqual(['met at fair']);
  });

  it('counts a tag the audience does not know as already off, without a call for it', async () => {
    const results = await session.members.removeTags('L1', [removal('ann@shop.com', ['never-made']), removal('ben@shop.com', [])]);
    expect(results.map((r) => r.outcome)).toEqual(['updated', 'updated']);
    expect(calls(SEGMENT_CALLS)).toBe(0);
    expect(tagsOf('ann@shop.com')).toEqual(['cdp-vip', 'cdp-churn', 'hand-picked']);
  });

  it('splits more than 500 members of one tag into several calls', async () => {
    const many = Array.from({ length: 620 }, (_, i) => `bulk${i}@shop.com`);
    sb.sandbox.admin.seed({ lists: [{ id: 'BIG', name: 'Big', members: many.map((email) => ({ email_address: email, status: 'subscribed', tags: ['cdp-vip', 'kept'] })) }] });
    const results = await session.members.removeTags('BIG', many.map((email) => removal(email, ['cdp-vip'])));
    expect(results.filter((r) => r.outcome === 'updated')).toHaveLength(620);
    expect(calls(SEGMENT_CALLS)).toBe(2);
    expect(sb.sandbox.admin.dump().lists[1].members.every((m) => m.tags.join() === 'kept')).toBe(true);
  });

  it("reports a member the audience lacks as skipped with Mailchimp's reason (it has no tag there), and removes the rest", async () => {
    const results = await session.members.removeTags('L1', [removal('nobody@shop.com', ['cdp-vip', 'cdp-churn']), removal('ann@shop.com', ['cdp-vip'])]);
    expect(results[0]).toEqual({
      memberId: subscriberHash('nobody@shop.com'),
      email: 'nobody@shop.com',
      outcome: 'skipped',
      reason: 'tag "cdp-vip": Email addresses not in the list; tag "cdp-churn": Email addresses not in the list',
    });
    expect(results[1].outcome).toBe('updated');
    expect(tagsOf('ann@shop.com')).toEqual(['cdp-churn', 'hand-picked']);
  });

  it('counts a tag deleted since the session listed it as already off', async () => {
    await session.members.removeTags('L1', [removal('ann@shop.com', ['cdp-churn'])]);
    // The audience is rebuilt without its cdp- tags: the ids the session knows are gone.
    sb.sandbox.admin.reset();
    sb.sandbox.admin.seed({ apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', members: [{ email_address: 'ben@shop.com', status: 'subscribed', tags: ['met at fair'] }] }] });
    sb.sandbox.admin.resetCounters();
    const results = await session.members.removeTags('L1', [removal('ben@shop.com', ['cdp-vip'])]);
    expect(results[0].outcome).toBe('updated');
    expect(calls(SEGMENT_CALLS)).toBe(1);
    expect(tagsOf('ben@shop.com')).toEqual(['met at fair']);
  });
});
