import { describe, expect, it } from '@jest/globals';
import { periodKey, type Connector, type ExportGoal, type MemberPayload, type Profile, type StateStore } from '@cdp/sdk';
import { createMailchimpConnector } from '../../src/index.js';
import { API_KEY, audienceReport, newsletterExport, profile, Worlds, type World, type WorldStores, type WorldOptions } from './world.js';

// Export goals end to end: run service → engine → store over the wire (MongoDB here, PostgreSQL in
// export.postgres.test.ts) → official client → sandbox.

const LIST = { id: 'news1', name: 'Newsletter', merge_fields: [
  { tag: 'FNAME', name: 'First name', type: 'text' as const },
  { tag: 'LNAME', name: 'Last name', type: 'text' as const },
  { tag: 'CITY', name: 'City', type: 'text' as const },
  { tag: 'BIO', name: 'Bio', type: 'text' as const },
  { tag: 'SEGMENTS', name: 'Segments', type: 'text' as const },
  { tag: 'CDPID', name: 'Profile id', type: 'text' as const },
  { tag: 'STAGE', name: 'Lifecycle', type: 'text' as const },
  { tag: 'VIEWED', name: 'Viewed', type: 'text' as const },
  { tag: 'PERM', name: 'Permission', type: 'text' as const },
  { tag: 'SOURCE', name: 'Source', type: 'text' as const },
  { tag: 'SCORE', name: 'Score', type: 'number' as const },
] };

const exportGoal = newsletterExport;

const worlds = Worlds.onFileBackend('export-e2e');

type SeedStatus = 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending';

async function start(
  profiles: Profile[],
  goal: ExportGoal,
  options: { members?: { email_address: string; status: SeedStatus }[]; connector?: Connector; onResponse?: WorldOptions['onResponse'] } = {},
): Promise<World<WorldStores>> {
  return worlds.start({
    lists: [{ ...LIST, members: options.members }],
    profiles,
    goals: [goal],
    connector: options.connector,
    onResponse: options.onResponse,
  });
}

describe('export goal: who qualifies', () => {
  it('sends only consented profiles of the segment with an email, and counts the others by reason', async () => {
    const w = await start(
      [
        profile('p1', 'ann@example.com', { properties: { email: ['ann@example.com'], firstName: ['Ann'] } }),
        profile('p2', 'bob@example.com', { consent: { objectives: ['analytics'] } }),
        profile('p3', 'cy@example.com', { segments: ['vip'] }),
        profile('p4', undefined),
        profile('p5', 'not-an-email'),
      ],
      exportGoal(),
    );
    const report = await w.run();
    expect(report.status).toBe('succeeded');
    expect(w.members('news1').map((m) => m.email_address)).toEqual(['ann@example.com']);
    expect(w.member('news1', 'ann@example.com')!.merge_fields.FNAME).toBe('Ann');
    const audience = audienceReport(report);
    expect(audience).toMatchObject({ selected: 4, created: 1, skipped: { noConsent: 1, noIdentifier: 1, invalidIdentifier: 1 } });
  });

  it('restricts to a lifecycle stage when the goal names one', async () => {
    const w = await start(
      [
        profile('p1', 'new@example.com', { lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }] }),
        profile('p2', 'active@example.com', { lifecycles: [{ lifecycle: 'onboarding', stage: 'active' }] }),
      ],
      exportGoal({ lifecycleStage: { lifecycle: 'onboarding', stage: 'active' } }),
    );
    const report = await w.run();
    expect(w.members('news1').map((m) => m.email_address)).toEqual(['active@example.com']);
    expect(audienceReport(report).skipped).toEqual({ notInStage: 1 });
  });
});

describe('export goal: the API key shared with other processes', () => {
  it('holds one of the key\'s slots shared through the state store for every request, named by part of the key\'s digest', async () => {
    const w = await start(Array.from({ length: 3 }, (_, i) => profile(`p${i}`, `p${i}@example.com`)), exportGoal());
    const slots: string[] = [];
    const state = Object.create(w.stores.state) as StateStore;
    state.acquireLock = async (name, owner, leaseMs) => {
      const answer = await w.stores.state.acquireLock(name, owner, leaseMs);
      if (answer.acquired && name.startsWith('mailchimp-api-slot:')) slots.push(name);
      return answer;
    };
    w.sandbox.admin.resetCounters();
    expect(audienceReport(await w.serviceOver(w.stores.profiles, state).runNow('e2e'))).toMatchObject({ created: 3 });
    expect(slots).toHaveLength(w.sandbox.admin.counters().total);
    for (const name of slots) expect(name).toMatch(/^mailchimp-api-slot:[0-9a-f]{16}:\d$/);
    expect(slots.join()).not.toContain(API_KEY.split('-')[0].slice(0, 16));
  });
});

describe('export goal: merge fields and tags', () => {
  it('fills a merge field from each mapping source and sends segments as tags', async () => {
    const w = await start(
      [
        profile('p-42', 'ann@example.com', {
          properties: { email: ['ann@example.com'], firstName: ['Ann'], interests: ['cycling', 'jazz'] },
          segments: ['newsletter', 'vip'],
          lifecycles: [{ lifecycle: 'onboarding', stage: 'active' }],
          viewedInteractions: ['welcome-banner', 'spring-sale'],
          permissionLevel: 'PERSONAL',
        }),
      ],
      exportGoal({
        mappings: [
          { source: 'property', property: 'interests', to: 'FNAME', separator: ' & ' },
          { source: 'profileId', to: 'CDPID' },
          { source: 'segments', select: [{ segment: 'vip', as: 'Very important' }], to: 'SEGMENTS' },
          { source: 'lifecycles', to: 'STAGE' },
          { source: 'viewedInteractions', to: 'VIEWED' },
          { source: 'permissionLevel', to: 'PERM' },
          { source: 'text', text: 'cdp', to: 'SOURCE' },
        ],
        segmentTags: 'all',
      }),
    );
    await w.run();
    const member = w.member('news1', 'ann@example.com')!;
    expect(member.merge_fields).toMatchObject({
      FNAME: 'cycling & jazz',
      CDPID: 'p-42',
      SEGMENTS: 'Very important',
      STAGE: 'onboarding:active',
      VIEWED: 'welcome-banner, spring-sale',
      PERM: 'PERSONAL',
      SOURCE: 'cdp',
    });
    expect([...member.tags].sort()).toEqual(['newsletter', 'vip']);
  });

  it('truncates values over 255 bytes and counts them', async () => {
    const long = `${'é'.repeat(250)}${'😀'.repeat(10)}`;
    const w = await start([profile('p1', 'ann@example.com', { properties: { email: ['ann@example.com'], bio: [long] } })], exportGoal({
      mappings: [{ source: 'property', property: 'bio', to: 'BIO' }],
    }));
    const report = await w.run();
    expect(audienceReport(report).truncated).toBe(1);
    const member = w.member('news1', 'ann@example.com')!;
    const sent = (await w.stores.state.getSent('e2e', 'to-newsletter', 'news1', [member.id])).get(member.id)!;
    const bio = (sent.payload as { mergeFields: Record<string, string> }).mergeFields.BIO;
    // 127 'é' are 254 bytes: one more would pass Mailchimp's 255.
    expect(bio).toBe('é'.repeat(127));
    expect(member.merge_fields.BIO).toBe(bio);
  });

  it('cuts merge fields to 255 bytes and tags to 100 units at grapheme boundaries: Mailchimp keeps what was sent', async () => {
    // 242 bytes of ASCII, accented letters and CJK, then a grapheme cluster straddling byte 255.
    const head = 'Zoë Ålander, 東京 '.repeat(11);
    const kept = {
      FNAME: `${head}Paris, ü`, // 🇫🇷 at bytes 251–258
      LNAME: `${head}family `, // 👩‍👩‍👧 at bytes 249–266
      CITY: `${head}Montréal, N`, // e + combining acute at bytes 254–256
      BIO: `${head}Kyōto, 大`, // 阪 at bytes 253–255
    };
    // Over 400 bytes each, yet under 255 code points.
    const tail = ` ${'東京大阪'.repeat(14)}`;
    const values = { FNAME: `${kept.FNAME}🇫🇷${tail}`, LNAME: `${kept.LNAME}👩‍👩‍👧${tail}`, CITY: `${kept.CITY}e\u0301e${tail}`, BIO: `${kept.BIO}阪${tail}` };
    const keptTag = `${'Fans 東京 '.repeat(11)}Fans 🇫🇷`; // 97 UTF-16 units, then 👩‍👩‍👧 at units 97–104
    const w = await start(
      [
        profile('p1', 'ann@example.com', {
          properties: { email: ['ann@example.com'], firstName: [values.FNAME], lastName: [values.LNAME], city: [values.CITY], bio: [values.BIO] },
          segments: ['newsletter', `${keptTag}👩‍👩‍👧 club`],
        }),
      ],
      exportGoal({
        mappings: [
          { source: 'property', property: 'firstName', to: 'FNAME' },
          { source: 'property', property: 'lastName', to: 'LNAME' },
          { source: 'property', property: 'city', to: 'CITY' },
          { source: 'property', property: 'bio', to: 'BIO' },
        ],
        segmentTags: 'all',
      }),
    );
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ created: 1, failed: 0, truncated: 5 });
    const member = w.member('news1', 'ann@example.com')!;
    const sent = (await w.stores.state.getSent('e2e', 'to-newsletter', 'news1', [member.id])).get(member.id)!.payload as MemberPayload;
    expect(sent.mergeFields).toEqual(kept);
    for (const value of Object.values(sent.mergeFields)) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(255);
    expect(member.merge_fields).toMatchObject(sent.mergeFields);
    expect([...sent.tags].sort()).toEqual([keptTag, 'newsletter']);
    expect([...member.tags].sort()).toEqual([keptTag, 'newsletter']);
  });

  it('reports missing merge fields and creates them when the goal says so', async () => {
    const goal = exportGoal({ mappings: [{ source: 'property', property: 'city', to: 'TOWN' }] });
    const w = await start([profile('p1', 'ann@example.com', { properties: { email: ['ann@example.com'], city: ['Utrecht'] } })], goal);
    const refused = await w.run();
    expect(refused.goals[0]).toMatchObject({ status: 'failed' });
    expect(refused.goals[0].error).toMatch(/TOWN/);
    expect(audienceReport(refused).missingFields).toEqual(['TOWN']);
    expect(w.members('news1')).toHaveLength(0);

    w.setGoals([{ ...goal, createMissingMergeFields: true }]);
    const created = await w.run();
    expect(audienceReport(created).createdFields).toEqual(['TOWN']);
    expect(w.member('news1', 'ann@example.com')!.merge_fields.TOWN).toBe('Utrecht');
  });
});

describe('export goal: members and statuses', () => {
  it('only updates existing members when createMembers is off', async () => {
    const w = await start(
      [
        profile('p1', 'known@example.com', { properties: { email: ['known@example.com'], firstName: ['Kim'] } }),
        profile('p2', 'new@example.com'),
      ],
      exportGoal({ createMembers: false }),
      { members: [{ email_address: 'known@example.com', status: 'subscribed' }] },
    );
    const report = await w.run();
    expect(w.members('news1').map((m) => m.email_address)).toEqual(['known@example.com']);
    expect(w.member('news1', 'known@example.com')!.merge_fields.FNAME).toBe('Kim');
    expect(audienceReport(report)).toMatchObject({ created: 0, updated: 1, skipped: { notFound: 1 } });
  });

  it('creates members as pending for double opt-in and never re-sends the confirmation', async () => {
    const people = [profile('p1', 'ann@example.com', { properties: { email: ['ann@example.com'], firstName: ['Ann'] } })];
    const w = await start(people, exportGoal({ newMemberStatus: 'pending' }));
    await w.run();
    expect(w.member('news1', 'ann@example.com')!.status).toBe('pending');
    await w.stores.profiles.upsertProfiles([{ ...people[0], properties: { ...people[0].properties, firstName: ['Anna'] }, updatedAt: new Date() }]);
    await w.run();
    expect(w.member('news1', 'ann@example.com')).toMatchObject({ status: 'pending', merge_fields: { FNAME: 'Anna' } });
    expect(w.sandbox.admin.dump().confirmationEmails).toHaveLength(1);
  });

  it('never re-subscribes unsubscribed or cleaned members, and counts them as compliance', async () => {
    const w = await start(
      [profile('p1', 'gone@example.com'), profile('p2', 'bounced@example.com'), profile('p3', 'ok@example.com')],
      exportGoal(),
      { members: [{ email_address: 'gone@example.com', status: 'unsubscribed' }, { email_address: 'bounced@example.com', status: 'cleaned' }] },
    );
    const report = await w.run();
    expect(w.member('news1', 'gone@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'bounced@example.com')!.status).toBe('cleaned');
    expect(w.member('news1', 'ok@example.com')!.status).toBe('subscribed');
    expect(audienceReport(report)).toMatchObject({ created: 1, skipped: { compliance: 2 }, failed: 0 });
  });

  it('records per-member errors with Mailchimp reason and goes on with the others', async () => {
    const w = await start(
      [
        profile('p1', 'ann@example.com', { properties: { email: ['ann@example.com'], score: ['not a number'] } }),
        profile('p2', 'bob@example.com', { properties: { email: ['bob@example.com'], score: ['42'] } }),
      ],
      exportGoal({ mappings: [{ source: 'property', property: 'score', to: 'SCORE' }] }),
    );
    const report = await w.run();
    const audience = audienceReport(report);
    expect(audience).toMatchObject({ created: 1, failed: 1 });
    expect(audience.failures[0].record).toBe('ann@example.com');
    expect(audience.failures[0].reason).toMatch(/number/i);
    expect(Number(w.member('news1', 'bob@example.com')!.merge_fields.SCORE)).toBe(42);
  });
});

describe('export goal: delta', () => {
  it('sends only changed profiles, skips identical payloads, and makes no write call when nothing changed', async () => {
    const people = Array.from({ length: 30 }, (_, i) =>
      profile(`p${i}`, `user${i}@example.com`, { properties: { email: [`user${i}@example.com`], firstName: [`User ${i}`] } }),
    );
    const w = await start(people, exportGoal());
    expect(audienceReport(await w.run())).toMatchObject({ selected: 30, created: 30 });

    w.sandbox.admin.resetCounters();
    const again = await w.run();
    expect(w.writeCalls()).toBe(0);
    expect(audienceReport(again)).toMatchObject({ selected: 0, created: 0, updated: 0 });

    // One real change, one touch that leaves the payload identical.
    await w.stores.profiles.applyPatches([
      { profileId: 'p3', ops: [{ property: 'firstName', mode: 'set', values: ['Changed'] }] },
      { profileId: 'p4', ops: [{ property: 'city', mode: 'set', values: ['Unmapped'] }] },
    ]);
    w.sandbox.admin.resetCounters();
    const delta = await w.run();
    expect(audienceReport(delta)).toMatchObject({ selected: 2, updated: 1, unchanged: 1 });
    // A member this goal wrote before is updated in one call, not created first.
    expect(w.writeCalls()).toBe(1);
    expect(w.member('news1', 'user3@example.com')!.merge_fields.FNAME).toBe('Changed');

    const full = await w.run({ full: true });
    expect(audienceReport(full)).toMatchObject({ selected: 30, updated: 30 });
  });
});

describe('export goal: membership sync', () => {
  const others = Array.from({ length: 4 }, (_, i) => ({ email_address: `other${i}@example.com`, status: 'subscribed' as const }));
  const people = Array.from({ length: 16 }, (_, i) => profile(`p${i}`, `user${i}@example.com`));
  // The segment's profiles are members already: the brake weighs the audience as it is before the run.
  const audience = [...others, ...people.map((p) => ({ email_address: p.properties.email[0] as string, status: 'subscribed' as const }))];

  it('archives members that are not in the segment', async () => {
    const w = await start(people, exportGoal({ removeNonSegmentMembers: { action: 'archive', maxRemovalShare: 0.25 } }), { members: audience });
    const report = await w.run();
    expect(report.status).toBe('succeeded');
    expect(audienceReport(report).removed).toBe(4);
    for (const other of others) expect(w.member('news1', other.email_address)!.status).toBe('archived');
    expect(w.members('news1').filter((m) => m.status === 'subscribed')).toHaveLength(16);
  });

  it('unsubscribes instead when configured', async () => {
    const w = await start(people, exportGoal({ removeNonSegmentMembers: { action: 'unsubscribe', maxRemovalShare: 0.25 } }), { members: audience });
    await w.run();
    for (const other of others) expect(w.member('news1', other.email_address)!.status).toBe('unsubscribed');
  });

  it('refuses, with the brake, to remove more than the allowed share unless forced', async () => {
    const w = await start(people.slice(0, 4), exportGoal({ removeNonSegmentMembers: {} }), { members: audience.slice(0, 8) });
    const braked = await w.run();
    expect(braked.status).toBe('failed');
    expect(braked.goals[0].error).toMatch(/removal brake: 4 of the 8 members of audience news1 that could be removed/);
    expect(audienceReport(braked).brake).toEqual({ wouldRemove: 4, audienceSize: 8, maxShare: 0.2 });
    expect(w.members('news1').filter((m) => m.status === 'archived')).toHaveLength(0);

    const forced = await w.run({ force: true });
    expect(forced.status).toBe('succeeded');
    expect(w.members('news1').filter((m) => m.status === 'archived')).toHaveLength(4);
  });

  it('removes no one when the segment is empty, even forced', async () => {
    const w = await start([], exportGoal({ removeNonSegmentMembers: { maxRemovalShare: 1 } }), { members: others });
    const report = await w.run({ force: true });
    expect(report.goals[0].error).toMatch(/segment newsletter is empty/);
    expect(w.members('news1').every((m) => m.status === 'subscribed')).toBe(true);
  });
});

describe('export goal: touchpoint thresholds', () => {
  it('holds back profiles whose stage reached its threshold this period', async () => {
    const stage = { lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }] };
    const w = await start(
      [profile('p1', 'busy@example.com', stage), profile('p2', 'calm@example.com', stage)],
      exportGoal({ lifecycleThreshold: { events: ['sent', 'open'] } }),
    );
    const now = new Date();
    w.sandbox.admin.addCampaign({
      id: 'c1',
      list_id: 'news1',
      send_time: now.toISOString(),
      recipients: [
        { email_address: 'busy@example.com', activity: [{ action: 'open', timestamp: now.toISOString() }] },
        { email_address: 'calm@example.com' },
      ],
    });
    const report = await w.run();
    // busy: one send + one open = 2 = the stage's weekly maximum; calm: one send.
    expect(audienceReport(report).skipped).toEqual({ threshold: 1 });
    expect(w.members('news1').map((m) => m.email_address)).toEqual(['calm@example.com']);
  });
});

describe('export goal: touchpoints after a failed activity read', () => {
  it('counts each event once when the read failed part way and the next run reads it again', async () => {
    const stage = { lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }] };
    let activityPages = 0;
    const w = await start([profile('p1', 'reader@example.com', stage)], exportGoal({ lifecycleThreshold: { events: ['sent'] } }), {
      connector: createMailchimpConnector({ retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 }, allowAnyBaseUrl: true }),
      // The first campaign's activity is read, then Mailchimp fails every call: the read stops half way.
      onResponse: (exchange) => {
        if (exchange.route === '/reports/{campaign_id}/email-activity' && exchange.status === 200 && ++activityPages === 1) {
          worlds.current?.sandbox.admin.setFaults({ rate500: 1 });
        }
      },
    });
    const now = new Date().toISOString();
    w.sandbox.admin.addCampaign({ id: 'c1', list_id: 'news1', send_time: now, recipients: [{ email_address: 'reader@example.com' }] });
    w.sandbox.admin.addCampaign({ id: 'c2', list_id: 'news1', send_time: now, recipients: [{ email_address: 'reader@example.com' }] });
    const failed = await w.run();
    expect(failed.status).toBe('failed');
    w.sandbox.admin.setFaults({});

    // Two sends this week reach the stage's maximum of 2: counted once each, the profile is held back.
    const report = await w.run();
    expect(report.status).toBe('succeeded');
    expect(audienceReport(report).skipped).toEqual({ threshold: 1 });
    const [count] = [...(await w.stores.state.getTouchpoints([{ profileId: 'p1', lifecycle: 'onboarding', stage: 'new', period: periodKey(new Date(), 'week') }])).values()];
    expect(count).toBe(2);
  });
});

describe('export goal: one member per email', () => {
  it('sends one of two profiles sharing an email and counts the other as excluded', async () => {
    const w = await start([profile('a', 'same@example.com'), profile('b', 'SAME@example.com')], exportGoal());
    const report = await w.run();
    expect(w.members('news1')).toHaveLength(1);
    expect(audienceReport(report)).toMatchObject({ created: 1, failed: 0, skipped: { excluded: 1 } });
  });
});

describe('export goal: faults', () => {
  it('retries injected 429s, 5xx and resets and ends in the state of a clean run', async () => {
    const people = Array.from({ length: 600 }, (_, i) =>
      profile(`p${i}`, `user${i}@example.com`, { properties: { email: [`user${i}@example.com`], firstName: [`User ${i}`] } }),
    );
    const connector = createMailchimpConnector({ retry: { maxRetries: 12, baseDelayMs: 10, maxDelayMs: 100 }, allowAnyBaseUrl: true });
    const w = await start(people, exportGoal({ batchSize: 50 }), { connector });
    w.sandbox.admin.setFaults({ rate429: 0.15, retryAfterSeconds: 0, rate500: 0.1, rate503: 0.05, rateReset: 0.05, seed: 7 });
    const report = await w.run();
    expect(report.goals[0].error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    expect(report.goals[0].retries).toBeGreaterThan(0);
    expect(audienceReport(report)).toMatchObject({ created: 600, failed: 0 });
    const members = w.members('news1');
    expect(members).toHaveLength(600);
    expect(new Set(members.map((m) => m.email_address)).size).toBe(600);
    expect(members.every((m) => m.merge_fields.FNAME === `User ${m.email_address.match(/\d+/)![0]}`)).toBe(true);
  });
});

describe('export goal: secrets', () => {
  it('never writes the API key into the report or the logs', async () => {
    const w = await start([profile('p1', 'ann@example.com')], exportGoal());
    const report = await w.run();
    const history = await w.service.history({ connectionId: 'e2e' });
    expect(JSON.stringify([report, history, w.logLines])).not.toContain(API_KEY.split('-')[0]);
  });
});
