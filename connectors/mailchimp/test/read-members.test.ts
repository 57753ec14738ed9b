import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type SourceMember } from '@cdp/sdk';
import { collect, connect, KEY_A, startTestSandbox, type TestSandbox } from './support/sandbox-session.js';

const at = (second: number): string => new Date(Date.UTC(2024, 0, 1) + second * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

// 1200 subscribed members changed in one and the same second (a bulk import), then 900 one second apart.
const bulk: SeedMember[] = Array.from({ length: 1200 }, (_, i) => ({ email_address: `bulk${i}@shop.com`, status: 'subscribed', last_changed: at(0) }));
const spread: SeedMember[] = Array.from({ length: 900 }, (_, i) => ({
  email_address: `spread${i}@shop.com`,
  status: 'subscribed',
  last_changed: at(10 + i),
  tags: i % 3 === 0 ? ['vip'] : [],
}));
const others: SeedMember[] = [
  { email_address: 'gone@shop.com', status: 'unsubscribed', last_changed: at(5), tags: ['vip'] },
  { email_address: 'waiting@shop.com', status: 'pending', last_changed: at(6) },
  { email_address: 'bounced@shop.com', status: 'cleaned', last_changed: at(7000) },
];

const ids = (members: SourceMember[]): string[] => members.map((m) => m.id);

describe('reading members', () => {
  let sb: TestSandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({ seed: { apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'News', members: [...bulk, ...spread, ...others] }] } });
  });
  afterAll(() => sb.sandbox.close());

  it('reads every member of a status exactly once across pages of 1000, even within one second', async () => {
    const session = await connect(sb.sandbox);
    const members = await collect(session.members.readMembers('L1', { statuses: ['subscribed'] }));
    expect(members).toHaveLength(2100);
    expect(new Set(ids(members)).size).toBe(2100);
    expect(ids(members)).toContain(subscriberHash('bulk1199@shop.com'));
    const sample = members.find((m) => m.email === 'spread4@shop.com')!;
    expect(sample).toMatchObject({ id: subscriberHash('spread4@shop.com'), version: at(14) });
    expect(sample.fields).toMatchObject({ email_address: 'spread4@shop.com', status: 'subscribed', merge_fields: expect.any(Object) });
    expect(sample.fields).not.toHaveProperty('_links');
    expect(sb.count(429)).toBe(0);
  });

  it('reads several statuses, one request stream each', async () => {
    const session = await connect(sb.sandbox);
    const members = await collect(session.members.readMembers('L1', { statuses: ['unsubscribed', 'pending', 'cleaned', 'bogus'] }));
    expect(members.map((m) => m.email).sort()).toEqual(['bounced@shop.com', 'gone@shop.com', 'waiting@shop.com']);
    expect(session.stats().apiCalls).toBe(3);
  });

  it('keeps only members carrying one of the tags', async () => {
    const session = await connect(sb.sandbox);
    const members = await collect(session.members.readMembers('L1', { statuses: ['subscribed', 'unsubscribed'], tags: ['vip'] }));
    expect(members).toHaveLength(301);
    expect(members.every((m) => (m.fields.tags as { name: string }[]).some((t) => t.name === 'vip'))).toBe(true);
  });

  it('reads only members changed after changedSince', async () => {
    const session = await connect(sb.sandbox);
    const members = await collect(session.members.readMembers('L1', { statuses: ['subscribed', 'cleaned'], changedSince: new Date(at(10 + 850)) }));
    expect(members.map((m) => m.email).sort()).toEqual([...Array.from({ length: 49 }, (_, i) => `spread${851 + i}@shop.com`), 'bounced@shop.com'].sort());
  });

  it('stays complete while members change between pages, returning changed members in their new version', async () => {
    const reader = await connect(sb.sandbox);
    const writer = await connect(sb.sandbox);
    const changed = ['spread10@shop.com', 'spread800@shop.com', 'bulk3@shop.com'];
    const read: SourceMember[] = [];
    let pages = 0;
    for await (const page of reader.members.readMembers('L1', { statuses: ['subscribed'] })) {
      read.push(...page);
      if (++pages === 1) {
        const results = await writer.members.upsertMembers(
          'L1',
          changed.map((email) => ({ memberId: subscriberHash(email), email, mergeFields: { FNAME: 'Changed' }, tags: [] })),
          { createMembers: false, newMemberStatus: 'subscribed' },
        );
        expect(results.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated']);
      }
    }
    expect(pages).toBeGreaterThan(2);
    expect(new Set(ids(read))).toEqual(new Set([...bulk, ...spread].map((m) => subscriberHash(m.email_address))));
    const versions = read.map((m) => `${m.id}|${m.version}`);
    expect(new Set(versions).size).toBe(versions.length);
    for (const email of changed) {
      const latest = read.filter((m) => m.email === email).at(-1)!;
      expect((latest.fields.merge_fields as Record<string, string>).FNAME).toBe('Changed');
    }
  });
});

describe('reading members while members already read change', () => {
  it('skips no one when members of the page boundary second change between pages', async () => {
    const sameSecond: SeedMember[] = Array.from({ length: 2500 }, (_, i) => ({ email_address: `same${i}@shop.com`, status: 'subscribed', last_changed: at(0) }));
    const sb = await startTestSandbox({ seed: { apiKeys: [KEY_A], lists: [{ id: 'L2', name: 'Bulk', members: sameSecond }] } });
    try {
      const session = await connect(sb.sandbox);
      const pages = session.members.readMembers('L2', { statuses: ['subscribed'] })[Symbol.asyncIterator]();
      const first = await pages.next();
      const read = [...(first.value as SourceMember[])];
      // Five members of the first page change now: each moves to the end of the last_changed order.
      for (const member of read.slice(0, 5)) {
        const response = await fetch(`${sb.sandbox.baseUrl}/lists/L2/members/${member.id}`, {
          method: 'PATCH',
          headers: { authorization: `Basic ${Buffer.from(`any:${KEY_A}`).toString('base64')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ merge_fields: { FNAME: 'Changed' } }),
        });
        expect(response.status).toBe(200);
      }
      for (let page = await pages.next(); !page.done; page = await pages.next()) read.push(...page.value);
      expect(new Set(ids(read)).size).toBe(2500);
    } finally {
      await sb.sandbox.close();
    }
  });
});
