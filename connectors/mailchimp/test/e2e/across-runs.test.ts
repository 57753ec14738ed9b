import { describe, expect, it } from '@jest/globals';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type ExportGoal, type Profile, type ProfileStore } from '@cdp/sdk';
import { startEmbeddedMongo } from '@cdp/store-mongodb';
import { TestClock } from '../../../../packages/sdk/testing/test-clock.js';
import { API_KEY, audienceReport, newsletterExport, profile, Worlds, type World } from './world.js';

// A connection over many runs, end to end (run service → engine → MongoDB store → official client → sandbox):
// what the second and tenth run do after the CDP and Mailchimp both changed.

const LIST = {
  id: 'news1',
  name: 'Newsletter',
  merge_fields: [
    { tag: 'FNAME', name: 'First name', type: 'text' as const },
    { tag: 'PLAN', name: 'Plan', type: 'dropdown' as const, options: { choices: ['basic'] } },
  ],
};

const exportGoal = newsletterExport;

const worlds = new Worlds('across-runs');

async function start(profiles: Profile[], goal: ExportGoal, options: { members?: SeedMember[]; clock?: TestClock } = {}): Promise<World> {
  return worlds.start({ lists: [{ ...LIST, members: options.members }], profiles, goals: [goal], clock: options.clock });
}

/** What a marketer does in Mailchimp, over the API. */
async function mailchimp(w: World, method: string, path: string, body?: object): Promise<number> {
  const response = await fetch(`${w.sandbox.baseUrl}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status;
}

/** Changes a stored profile the way the CDP would: the change moves its updatedAt. */
async function changeProfile(w: World, id: string, change: (profile: Profile) => Partial<Profile>, at = new Date()): Promise<void> {
  const [current] = await w.stores.profiles.findById([id]);
  await w.stores.profiles.upsertProfiles([{ ...current, ...change(current), updatedAt: at }]);
}

const subscribed = (email: string): SeedMember => ({ email_address: email, status: 'subscribed' });

describe('archived members', () => {
  it('restores a member the connection archived when its profile re-enters the segment; one archived by someone else stays archived', async () => {
    const people = ['ann', 'bob', 'cy', 'dee', 'eve'].map((name) => profile(name, `${name}@example.com`));
    const w = await start(people, exportGoal({ removeNonSegmentMembers: { maxRemovalShare: 0.5 } }));
    expect((await w.run()).status).toBe('succeeded');

    await changeProfile(w, 'ann', () => ({ segments: [] }));
    expect(audienceReport(await w.run())).toMatchObject({ removed: 1 });
    expect(w.member('news1', 'ann@example.com')!.status).toBe('archived');
    // A marketer archives Bob by hand.
    expect(await mailchimp(w, 'DELETE', `/lists/news1/members/${subscriberHash('bob@example.com')}`)).toBe(204);

    await changeProfile(w, 'ann', () => ({ segments: ['newsletter'] }));
    await changeProfile(w, 'bob', (p) => ({ properties: { ...p.properties, firstName: ['Bob'] } }));
    const back = await w.run();
    expect(audienceReport(back)).toMatchObject({ restored: 1, failed: 0, skipped: { archived: 1 } });
    expect(w.member('news1', 'ann@example.com')!.status).toBe('subscribed');
    expect(w.member('news1', 'bob@example.com')!.status).toBe('archived');

    const full = await w.run({ full: true });
    expect(full.status).toBe('succeeded');
    expect(audienceReport(full)).toMatchObject({ failed: 0, updated: 4, skipped: { archived: 1 } });
    expect(w.member('news1', 'bob@example.com')!.status).toBe('archived');
  });
});

describe('segment tags', () => {
  it('follow the segments both ways and never touch tags added in Mailchimp', async () => {
    const segmentTags = [{ segment: 'vip', as: 'VIP' }, { segment: 'churned' }];
    const w = await start(
      [profile('ann', 'ann@example.com', { segments: ['newsletter', 'vip'] }), profile('bob', 'bob@example.com', { segments: ['newsletter', 'vip'] })],
      exportGoal({ segmentTags }),
    );
    await w.run();
    const tags = (email: string) => [...w.member('news1', email)!.tags].sort();
    expect(tags('ann@example.com')).toEqual(['VIP']);
    expect(await mailchimp(w, 'POST', `/lists/news1/members/${subscriberHash('ann@example.com')}/tags`, { tags: [{ name: 'met-at-fair', status: 'active' }] })).toBe(204);

    // Ann leaves vip and joins churned; Bob leaves the goal's segment and vip altogether.
    await changeProfile(w, 'ann', () => ({ segments: ['newsletter', 'churned'] }));
    await changeProfile(w, 'bob', () => ({ segments: [] }));
    const report = await w.run();
    expect(report.status).toBe('succeeded');
    expect(tags('ann@example.com')).toEqual(['churned', 'met-at-fair']);
    expect(tags('bob@example.com')).toEqual([]);
    expect(audienceReport(report)).toMatchObject({ updated: 1, untagged: 2 });

    // Nothing changed since: the next run writes nothing and removes nothing.
    w.sandbox.admin.resetCounters();
    expect(audienceReport(await w.run())).toMatchObject({ updated: 0, untagged: 0 });
    expect(w.writeCalls()).toBe(0);
  });

  it('follow on members that unsubscribed or bounced: Mailchimp took the tags from this goal, so they come off too', async () => {
    const segmentTags = [{ segment: 'vip', as: 'VIP' }];
    const vip = { segments: ['newsletter', 'vip'] };
    const members: SeedMember[] = [
      { email_address: 'ann@example.com', status: 'unsubscribed' },
      { email_address: 'bob@example.com', status: 'cleaned' },
    ];
    const w = await start([profile('ann', 'ann@example.com', vip), profile('bob', 'bob@example.com', vip)], exportGoal({ segmentTags }), { members });
    expect(audienceReport(await w.run()).skipped).toEqual({ compliance: 2 });
    expect(w.member('news1', 'ann@example.com')!.tags).toEqual(['VIP']);

    // Ann leaves vip; Bob leaves the goal's segment.
    await changeProfile(w, 'ann', () => ({ segments: ['newsletter'] }));
    await changeProfile(w, 'bob', () => ({ segments: [] }));
    expect(audienceReport(await w.run())).toMatchObject({ untagged: 2 });
    expect(w.member('news1', 'ann@example.com')).toMatchObject({ status: 'unsubscribed', tags: [] });
    expect(w.member('news1', 'bob@example.com')).toMatchObject({ status: 'cleaned', tags: [] });
  });
});

describe('touchpoint thresholds', () => {
  it('sends a held-back profile in the first period whose threshold allows it, though it did not change', async () => {
    const clock = new TestClock(new Date());
    const stage = { lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }] };
    const w = await start([profile('busy', 'busy@example.com', stage)], exportGoal({ lifecycleThreshold: { events: ['sent', 'open'] } }), { clock });
    const now = clock.now().toISOString();
    w.sandbox.admin.addCampaign({
      id: 'c1',
      list_id: 'news1',
      send_time: now,
      recipients: [{ email_address: 'busy@example.com', activity: [{ action: 'open', timestamp: now }] }],
    });
    expect(audienceReport(await w.run()).skipped).toEqual({ threshold: 1 });
    expect(audienceReport(await w.run()).skipped).toEqual({ threshold: 1 });
    expect(w.member('news1', 'busy@example.com')).toBeUndefined();

    clock.advance(7 * 24 * 3600_000);
    const nextWeek = await w.run();
    expect(audienceReport(nextWeek)).toMatchObject({ created: 1, skipped: {} });
    expect(w.member('news1', 'busy@example.com')!.status).toBe('subscribed');
    expect(audienceReport(await w.run())).toMatchObject({ created: 0, updated: 0 });
  });
});

describe('removal brake', () => {
  it('weighs the audience as it was before the run: the dry run and the run give the same verdict', async () => {
    // 24 members: 18 of them profiles of the segment, 6 not; 18 more profiles are not members yet.
    const inAudience = Array.from({ length: 18 }, (_, i) => profile(`m${i}`, `m${i}@example.com`));
    const newcomers = Array.from({ length: 18 }, (_, i) => profile(`n${i}`, `n${i}@example.com`));
    const strangers = Array.from({ length: 6 }, (_, i) => subscribed(`s${i}@example.com`));
    const w = await start([...inAudience, ...newcomers], exportGoal({ removeNonSegmentMembers: {} }), {
      members: [...inAudience.map((p) => subscribed(p.properties.email[0] as string)), ...strangers],
    });
    const test = await w.service.test('e2e');
    expect(audienceReport(test).brake).toEqual({ wouldRemove: 6, audienceSize: 24, maxShare: 0.2 });
    const run = await w.run();
    expect(audienceReport(run).brake).toEqual({ wouldRemove: 6, audienceSize: 24, maxShare: 0.2 });
    expect(run.goals[0].error).toMatch(/removal brake: 6 of the 24 members/);
    expect(w.members('news1').filter((m) => m.status === 'archived')).toHaveLength(0);
    expect(audienceReport(run).created).toBe(18);

    // The 18 members the braked run created do not dilute the next run's share: 6 of 42 would pass otherwise.
    const next = await w.run();
    expect(audienceReport(next).brake).toEqual({ wouldRemove: 6, audienceSize: 24, maxShare: 0.2 });
    expect(audienceReport(await w.service.test('e2e')).brake).toEqual({ wouldRemove: 6, audienceSize: 24, maxShare: 0.2 });
    expect(w.members('news1').filter((m) => m.status === 'archived')).toHaveLength(0);

    // Forced, the removals go through; later runs weigh the audience as it then is.
    expect(audienceReport(await w.run({ force: true }))).toMatchObject({ removed: 6 });
    await w.stores.profiles.upsertProfiles([{ ...profile('m0', 'm0@example.com', { segments: [] }), updatedAt: new Date() }]);
    const after = await w.run();
    expect(after.status).toBe('succeeded');
    expect(audienceReport(after)).toMatchObject({ removed: 1 });
  });

  it('counts only members the action could remove', async () => {
    // 30 subscribed (one still in the segment) and 170 cleaned, which no removal can change.
    const members = [
      ...Array.from({ length: 30 }, (_, i) => subscribed(`s${i}@example.com`)),
      ...Array.from({ length: 170 }, (_, i): SeedMember => ({ email_address: `c${i}@example.com`, status: 'cleaned' })),
    ];
    const w = await start([profile('s0', 's0@example.com')], exportGoal({ removeNonSegmentMembers: {} }), { members });
    const report = await w.run();
    expect(audienceReport(report).brake).toEqual({ wouldRemove: 29, audienceSize: 30, maxShare: 0.2 });
    expect(w.members('news1').filter((m) => m.status === 'subscribed')).toHaveLength(30);
  });
});

describe('the sweep over what the goal wrote', () => {
  it('reads only the profiles that changed since the last run, and deleted ones, not every profile every run', async () => {
    const people = Array.from({ length: 30 }, (_, i) => profile(`p${i}`, `p${i}@example.com`, { segments: ['newsletter', 'vip'] }));
    const w = await start(people, exportGoal({ segmentTags: [{ segment: 'vip', as: 'VIP' }] }));
    expect(audienceReport(await w.run())).toMatchObject({ created: 30 });

    // The run service reads profiles through a store that counts the profiles it hands out by id.
    let readById = 0;
    const counting = Object.create(w.stores.profiles) as ProfileStore;
    counting.findById = async (ids) => {
      const found = await w.stores.profiles.findById(ids);
      readById += found.length;
      return found;
    };
    const service = w.serviceOver(counting);
    expect(audienceReport(await service.runNow('e2e'))).toMatchObject({ created: 0, updated: 0, untagged: 0, withdrawn: 0 });
    expect(readById).toBe(0);

    // One profile leaves vip (the segment stream brings it), one loses consent, one is deleted.
    await changeProfile(w, 'p0', () => ({ segments: ['newsletter'] }));
    await changeProfile(w, 'p1', () => ({ consent: { objectives: ['analytics'] } }));
    await w.stores.db.collection('profiles').deleteOne({ _id: 'p2' as never });
    readById = 0;
    expect(audienceReport(await service.runNow('e2e'))).toMatchObject({ updated: 1, untagged: 1, withdrawn: 2 });
    expect(readById).toBe(2);
    expect(w.member('news1', 'p1@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'p2@example.com')!.status).toBe('unsubscribed');
  });
});

describe('withdrawn consent', () => {
  const people = () => ['ann', 'bob', 'cy'].map((name) => profile(name, `${name}@example.com`));
  const withdraw = (): Partial<Profile> => ({ consent: { objectives: ['analytics'] } });

  it('unsubscribes, by default, the member of a profile that lost consent or was deleted, and never subscribes it again', async () => {
    const w = await start(people(), exportGoal());
    await w.run();
    await changeProfile(w, 'ann', withdraw);
    await w.stores.db.collection('profiles').deleteOne({ _id: 'bob' as never });
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ withdrawn: 2, failed: 0 });
    expect(w.member('news1', 'ann@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'bob@example.com')!.status).toBe('unsubscribed');
    expect(w.member('news1', 'cy@example.com')!.status).toBe('subscribed');
    expect(audienceReport(await w.run())).toMatchObject({ withdrawn: 0 });

    // Consent given again: the member is written, but only the person can subscribe again.
    await changeProfile(w, 'ann', () => ({ consent: { objectives: ['newsletter'] } }));
    const again = await w.run();
    expect(audienceReport(again).skipped).toMatchObject({ compliance: 1 });
    expect(w.member('news1', 'ann@example.com')!.status).toBe('unsubscribed');
  });

  it('archives instead, or keeps the member, as the goal says; with membership sync too', async () => {
    const archiving = await start(people(), exportGoal({ onConsentWithdrawn: 'archive', removeNonSegmentMembers: { maxRemovalShare: 1 } }));
    await archiving.run();
    await changeProfile(archiving, 'ann', withdraw);
    const report = await archiving.run();
    expect(audienceReport(report)).toMatchObject({ withdrawn: 1, removed: 0 });
    expect(archiving.member('news1', 'ann@example.com')!.status).toBe('archived');
    await archiving.close();

    const keeping = await start(people(), exportGoal({ onConsentWithdrawn: 'keep' }));
    await keeping.run();
    await changeProfile(keeping, 'ann', withdraw);
    expect(audienceReport(await keeping.run())).toMatchObject({ withdrawn: 1 });
    expect(keeping.member('news1', 'ann@example.com')!.status).toBe('subscribed');
  });
});

describe('withdrawn consent and membership sync together', () => {
  it('a withdrawn member is left to onConsentWithdrawn: the brake weighs only the other removals, then and later', async () => {
    const w = await start([profile('ann', 'ann@example.com')], exportGoal({ removeNonSegmentMembers: { maxRemovalShare: 0.2 } }));
    await w.run();
    await changeProfile(w, 'ann', () => ({ consent: { objectives: ['analytics'] } }));
    const report = await w.run();
    expect(report.status).toBe('succeeded');
    expect(audienceReport(report)).toMatchObject({ withdrawn: 1, removed: 0 });
    expect(audienceReport(report).brake).toBeUndefined();
    const later = await w.run();
    expect(later.status).toBe('succeeded');
    expect(audienceReport(later).brake).toBeUndefined();
    expect(w.member('news1', 'ann@example.com')!.status).toBe('unsubscribed');
  });

  it('a deleted profile whose email another consenting profile holds withdraws nothing', async () => {
    const w = await start([profile('old', 'ann@example.com')], exportGoal());
    await w.run();
    await w.stores.db.collection('profiles').deleteOne({ _id: 'old' as never });
    await w.stores.profiles.upsertProfiles([profile('new', 'ann@example.com', { segments: [], updatedAt: new Date() })]);
    expect(audienceReport(await w.run())).toMatchObject({ withdrawn: 0 });
    expect(w.member('news1', 'ann@example.com')!.status).toBe('subscribed');
  });
});

describe('failed members', () => {
  it('are retried by the next runs, unchanged, until they succeed or fail a third time', async () => {
    const w = await start(
      [
        profile('ann', 'ann@example.com', { properties: { email: ['ann@example.com'], city: ['pro'] } }),
        profile('bob', 'bob@example.com', { properties: { email: ['bob@example.com'], city: ['gold'] } }),
      ],
      exportGoal({ mappings: [{ source: 'property', property: 'city', to: 'PLAN' }] }),
    );
    const first = await w.run();
    expect(audienceReport(first)).toMatchObject({ failed: 2 });
    expect(audienceReport(first).failures[0].reason).toMatch(/choose one of the options/);
    expect(audienceReport(await w.run())).toMatchObject({ failed: 2, unchanged: 0 });

    // The marketer adds the option Ann needs: the next run retries both, unchanged as they are.
    const fields = (await (await fetch(`${w.sandbox.baseUrl}/lists/news1/merge-fields`, {
      headers: { authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}` },
    })).json()) as { merge_fields: { merge_id: number; tag: string }[] };
    const plan = fields.merge_fields.find((field) => field.tag === 'PLAN')!;
    expect(await mailchimp(w, 'PATCH', `/lists/news1/merge-fields/${plan.merge_id}`, { options: { choices: ['basic', 'pro'] } })).toBe(200);
    expect(audienceReport(await w.run())).toMatchObject({ created: 1, failed: 1 });
    expect(w.member('news1', 'ann@example.com')!.merge_fields.PLAN).toBe('pro');

    // Bob failed a third time: the failure is final until his profile changes, its reason kept.
    expect(audienceReport(await w.run())).toMatchObject({ selected: 0, failed: 0 });
    const [record] = (await w.stores.state.getSent('e2e', 'to-newsletter', 'news1', [subscriberHash('bob@example.com')])).values();
    expect(record).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/choose one of the options/) });
    expect(record.retry).toBeUndefined();
  });
});

describe('secrets echoed by Mailchimp', () => {
  it('are stored and reported in no form: not whole, not the key part, not as Basic credentials', async () => {
    const w = await start([profile('ann', 'ann@example.com', { properties: { email: ['ann@example.com'], city: ['gold'] } })], exportGoal({ mappings: [{ source: 'property', property: 'city', to: 'PLAN' }] }));
    w.sandbox.admin.setFaults({ echoCredentials: true });
    const report = await w.run();
    expect(audienceReport(report).failures[0].reason).toMatch(/request sent "Basic \*+", key \*+, key part \*+\).*choose one of the options/);

    const basic = Buffer.from(`user:${API_KEY}`).toString('base64');
    const forms = [API_KEY, API_KEY.split('-')[0], basic];
    const stored = JSON.stringify(await Promise.all(['connection_sent', 'connection_runs'].map((name) => w.stores.db.collection(name).find().toArray())));
    expect(stored).toContain('choose one of the options');
    for (const form of forms) {
      expect(stored).not.toContain(form);
      expect(JSON.stringify(report)).not.toContain(form);
    }
  });
});

describe('a database that goes away mid-run', () => {
  it('stops the run with the store named, and the report still reaches the caller, saying it could not be recorded', async () => {
    const own = await startEmbeddedMongo('across-runs-crash');
    try {
      // Each call to the stopped server fails after half a second, not the driver's default 30 s.
      const uri = `${own.uri}${own.uri.includes('?') ? '&' : '/?'}serverSelectionTimeoutMS=500`;
      const world = await worlds.start(
        {
          lists: [LIST],
          profiles: Array.from({ length: 40 }, (_, i) => profile(`p${i}`, `p${i}@example.com`)),
          goals: [exportGoal({ batchSize: 1 })],
          // The database stops as soon as Mailchimp has answered the first batch call.
          onResponse: (exchange) => {
            if (exchange.route === '/lists/{list_id}' && exchange.method === 'POST') void own.stop();
          },
        },
        { ...own, uri },
      );
      world.sandbox.admin.setFaults({ latencyMs: 50 });
      const report = await world.run();
      expect(report.status).toBe('failed');
      expect(report.goals[0].error).toMatch(/^the (state|profile) store failed \(\w+\): /);
      expect(report.error).toMatch(/the run could not be recorded: the state store failed \(saveRun\)/);
    } finally {
      await own.stop();
    }
  });
});
