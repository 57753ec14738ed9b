import { describe, expect, it } from '@jest/globals';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type ImportGoal, type Profile, type ProfilePatch, type ProfileStore } from '@cdp/sdk';
import { API_KEY, audienceReport, newsletterExport, profile, Worlds, type World, type WorldStores } from './world.js';

// Import goals end to end: sandbox → official client → engine → store over the wire (MongoDB here, PostgreSQL in
// import.postgres.test.ts).

function importGoal(overrides: Partial<ImportGoal> = {}): ImportGoal {
  return {
    id: 'from-newsletter',
    kind: 'import',
    audiences: [{ id: 'news1', createProfiles: true }],
    grantedObjectives: { subscribed: ['newsletter'] },
    statuses: ['subscribed'],
    identifier: 'email',
    mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }],
    ...overrides,
  };
}

function member(email: string, overrides: Partial<SeedMember> = {}): SeedMember {
  return { email_address: email, status: 'subscribed', merge_fields: { FNAME: email.split('@')[0] }, ...overrides };
}

const NUMBER_FIELD = [{ tag: 'FNAME', name: 'First name', type: 'text' as const }, { tag: 'POINTS', name: 'Points', type: 'number' as const }];

const worlds = Worlds.onFileBackend('import-e2e');

async function start(lists: { id: string; members: SeedMember[] }[], goal: ImportGoal, profiles: Profile[] = []): Promise<World<WorldStores>> {
  return worlds.start({
    lists: lists.map((list) => ({ ...list, name: `Audience ${list.id}`, merge_fields: NUMBER_FIELD })),
    profiles,
    goals: [goal],
  });
}

async function profileByEmail(w: World<WorldStores>, email: string): Promise<Profile | undefined> {
  return (await w.stores.profiles.findByIdentifier('email', [email]))[0];
}

/** Changes a member the way a person editing in Mailchimp would: over the API. */
async function patchMember(w: World<WorldStores>, listId: string, email: string, body: object): Promise<void> {
  const response = await fetch(`${w.sandbox.baseUrl}/lists/${listId}/members/${subscriberHash(email)}`, {
    method: 'PATCH',
    headers: { authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('import goal: which members', () => {
  it('reads only the configured statuses', async () => {
    const w = await start(
      [{ id: 'news1', members: [member('sub@example.com'), member('unsub@example.com', { status: 'unsubscribed' }), member('pend@example.com', { status: 'pending' }), member('clean@example.com', { status: 'cleaned' })] }],
      importGoal({ statuses: ['subscribed', 'pending'], audiences: [{ id: 'news1', createProfiles: false }] }),
      ['sub', 'unsub', 'pend', 'clean'].map((name) => profile(name, `${name}@example.com`)),
    );
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ selected: 2, updated: 2 });
    expect((await profileByEmail(w, 'sub@example.com'))!.properties.firstName).toEqual(['sub']);
    expect((await profileByEmail(w, 'pend@example.com'))!.properties.firstName).toEqual(['pend']);
    expect((await profileByEmail(w, 'unsub@example.com'))!.properties.firstName).toBeUndefined();
  });

  it('reads only members carrying one of the tags', async () => {
    const w = await start(
      [{ id: 'news1', members: [member('vip@example.com', { tags: ['vip', 'beta'] }), member('plain@example.com')] }],
      importGoal({ tags: ['vip'] }),
    );
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ selected: 1, created: 1 });
    expect(await profileByEmail(w, 'vip@example.com')).toBeDefined();
    expect(await profileByEmail(w, 'plain@example.com')).toBeUndefined();
  });
});

describe('import goal: linking members to profiles', () => {
  it('creates profiles for unknown members or only updates existing ones, per audience', async () => {
    const w = await start(
      [
        { id: 'news1', members: [member('new@example.com'), member('known@example.com')] },
        { id: 'news2', members: [member('other@example.com')] },
      ],
      importGoal({ audiences: [{ id: 'news1', createProfiles: true }, { id: 'news2', createProfiles: false }] }),
      [profile('k1', 'known@example.com')],
    );
    const report = await w.run();
    expect(audienceReport(report, 0, 0)).toMatchObject({ created: 1, updated: 1 });
    expect(audienceReport(report, 0, 1)).toMatchObject({ created: 0, skipped: { notFound: 1 } });
    const created = (await profileByEmail(w, 'new@example.com'))!;
    expect(created).toMatchObject({ properties: { email: ['new@example.com'], firstName: ['new'] }, consent: { objectives: ['newsletter'] } });
    expect((await profileByEmail(w, 'known@example.com'))!.id).toBe('k1');
    expect(await profileByEmail(w, 'other@example.com')).toBeUndefined();
  });

  it('gives a created profile only the consent its member\'s status grants, and creates none for a status that grants nothing', async () => {
    const w = await start(
      [{ id: 'news1', members: [member('sub@example.com'), member('pend@example.com', { status: 'pending' }), member('gone@example.com', { status: 'unsubscribed' })] }],
      importGoal({ statuses: ['subscribed', 'pending', 'unsubscribed'], grantedObjectives: { subscribed: ['newsletter'], pending: [] } }),
    );
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ created: 1, skipped: { noConsent: 2 } });
    expect((await profileByEmail(w, 'sub@example.com'))!.consent).toEqual({ objectives: ['newsletter'] });
    expect(await profileByEmail(w, 'pend@example.com')).toBeUndefined();
    expect(await profileByEmail(w, 'gone@example.com')).toBeUndefined();
  });

  it('matches by the normalised email, whatever its case in Mailchimp or in the profile', async () => {
    const w = await start([{ id: 'news1', members: [member('Mixed.Case@Example.COM')] }], importGoal({ audiences: [{ id: 'news1' }] }), [
      profile('m1', 'mixed.case@example.com'),
    ]);
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1 });
    expect((await w.stores.profiles.findById(['m1']))[0].properties.firstName).toEqual(['Mixed.Case']);
  });

  it('finds a profile whose email is stored in capitals: exporting then importing creates no duplicate', async () => {
    const w = await start([{ id: 'news1', members: [] }], importGoal(), [profile('cap', ' Ann.Smith@Example.COM')]);
    w.setGoals([
      { id: 'out', kind: 'export', segment: 'newsletter', audiences: ['news1'], identifier: 'email', mappings: [] },
      importGoal(),
    ]);
    const first = await w.run();
    expect(w.members('news1').map((m) => m.email_address)).toEqual(['ann.smith@example.com']);
    const second = await w.run();
    expect([audienceReport(first, 1).created, audienceReport(second, 1).created]).toEqual([0, 0]);
    expect(await w.stores.profiles.count()).toBe(1);
    const hash = w.members('news1')[0].id;
    expect((await w.stores.profiles.findById(['cap']))[0].sourceVersions).toHaveProperty([`from-newsletter:news1:${hash}`]);
  });

  it('follows a member whose email changed case between two runs', async () => {
    const w = await start([{ id: 'news1', members: [member('ann@example.com')] }], importGoal(), []);
    await w.run();
    const before = (await profileByEmail(w, 'ann@example.com'))!;
    await patchMember(w, 'news1', 'ann@example.com', { email_address: 'ANN@example.com', merge_fields: { FNAME: 'Ann' } });
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ created: 0, updated: 1 });
    expect(await w.stores.profiles.count()).toBe(1);
    expect((await w.stores.profiles.findById([before.id]))[0].properties.firstName).toEqual(['Ann']);
  });

  it('re-finds a profile it created whose email changed in the CDP, and respects its withdrawn consent', async () => {
    const w = await start([{ id: 'news1', members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann', POINTS: 5 } })] }], importGoal({
      mappings: [{ from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }],
    }));
    await w.run();
    const created = (await profileByEmail(w, 'ann@example.com'))!;
    // In the CDP the email is changed and consent withdrawn; in Mailchimp the member changes.
    await w.stores.profiles.upsertProfiles([{ ...created, properties: { ...created.properties, email: ['ann@elsewhere.example'] }, consent: { objectives: [] } }]);
    await patchMember(w, 'news1', 'ann@example.com', { merge_fields: { POINTS: 7 } });
    const report = await w.run({ full: true });
    expect(audienceReport(report)).toMatchObject({ created: 0, updated: 0, skipped: { noConsent: 1 } });
    expect(await w.stores.profiles.count()).toBe(1);
    expect((await w.stores.profiles.findById([created.id]))[0].properties.score).toEqual([5]);
  });

  it('updates only profiles consented to one of the objectives, and counts the others', async () => {
    const w = await start([{ id: 'news1', members: [member('yes@example.com'), member('no@example.com')] }], importGoal(), [
      profile('y', 'yes@example.com'),
      profile('n', 'no@example.com', { consent: { objectives: ['analytics'] } }),
    ]);
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ updated: 1, skipped: { noConsent: 1 } });
    expect((await w.stores.profiles.findById(['n']))[0].properties.firstName).toBeUndefined();
  });
});

describe('import goal: mappings', () => {
  it('applies set, setIfEmpty, add and sum from member field paths, and records the audience name', async () => {
    const w = await start(
      [{ id: 'news1', members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann', POINTS: 5 }, tags: ['vip', 'beta'] })] }],
      importGoal({
        mappings: [
          { from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' },
          { from: 'merge_fields.FNAME', to: 'lastName', mode: 'setIfEmpty' },
          { from: 'tags', to: 'interests', mode: 'add' },
          { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' },
          { from: 'status', to: 'status', mode: 'set' },
          { from: 'stats.avg_open_rate', to: 'openRate', mode: 'set' },
          { from: 'timestamp_opt', to: 'signedUpAt', mode: 'set' },
        ],
        saveAudiencesTo: 'audiences',
      }),
      [profile('a', 'ann@example.com', { properties: { email: ['ann@example.com'], lastName: ['Smith'], interests: ['jazz'], score: [10] } })],
    );
    await w.run();
    const ann = (await w.stores.profiles.findById(['a']))[0];
    expect(ann.properties).toMatchObject({
      firstName: ['Ann'],
      lastName: ['Smith'],
      interests: ['jazz', 'vip', 'beta'],
      score: [15],
      status: ['subscribed'],
      openRate: [0],
      audiences: ['Audience news1'],
    });
    expect(String(ann.properties.signedUpAt[0])).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('skips a non-numeric sum per record with a reason and applies the other mappings', async () => {
    const w = await start(
      [{ id: 'news1', members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann' } })] }],
      importGoal({ mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }, { from: 'merge_fields.FNAME', to: 'score', mode: 'sum' }] }),
    );
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ created: 1, skipped: { invalidValue: 1 } });
    expect(audienceReport(report).failures[0]).toMatchObject({ record: 'ann@example.com' });
    expect((await profileByEmail(w, 'ann@example.com'))!.properties).toMatchObject({ firstName: ['Ann'] });
  });

  it('lets two audiences feed one profile, each sum counted once', async () => {
    const w = await start(
      [
        { id: 'news1', members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann', POINTS: 3 } })] },
        { id: 'news2', members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann', POINTS: 4 } })] },
      ],
      importGoal({
        audiences: [{ id: 'news1', createProfiles: true }, { id: 'news2', createProfiles: true }],
        mappings: [{ from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }],
        saveAudiencesTo: 'audiences',
      }),
    );
    await w.run();
    await w.run();
    expect(await w.stores.profiles.count()).toBe(1);
    expect((await profileByEmail(w, 'ann@example.com'))!.properties).toMatchObject({ score: [7], audiences: ['Audience news1', 'Audience news2'] });
  });
});

describe('import goal: incremental runs', () => {
  it('reads only changed members after the first run and sums the change of a changed member', async () => {
    // Members last changed an hour ago: outside the overlap window of the runs below.
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const members = Array.from({ length: 20 }, (_, i) =>
      member(`user${i}@example.com`, { merge_fields: { FNAME: `User ${i}`, POINTS: 1 }, last_changed: anHourAgo }),
    );
    const w = await start([{ id: 'news1', members }], importGoal({ mappings: [{ from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }] }));
    expect(audienceReport(await w.run())).toMatchObject({ selected: 20, created: 20 });

    const unchanged = await w.run();
    expect(audienceReport(unchanged)).toMatchObject({ selected: 0, created: 0, updated: 0 });

    await patchMember(w, 'news1', 'user7@example.com', { merge_fields: { POINTS: 2 } });
    const changed = await w.run();
    expect(audienceReport(changed)).toMatchObject({ selected: 1, updated: 1 });
    expect((await profileByEmail(w, 'user7@example.com'))!.properties.score).toEqual([2]);
    expect((await profileByEmail(w, 'user8@example.com'))!.properties.score).toEqual([1]);

    await w.run({ full: true });
    expect((await profileByEmail(w, 'user7@example.com'))!.properties.score).toEqual([2]);
  });

  it('after a crash between two pages, a rerun ends in exactly the state of an uninterrupted run', async () => {
    const members = Array.from({ length: 1050 }, (_, i) => member(`user${i}@example.com`, { merge_fields: { FNAME: `User ${i}`, POINTS: i % 7 } }));
    const goal = importGoal({ mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }, { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }] });
    const existing = [profile('e1', 'user3@example.com', { properties: { email: ['user3@example.com'], score: [100] } })];

    const clean = await start([{ id: 'news1', members }], goal, existing);
    expect((await clean.run()).status).toBe('succeeded');
    const expected = await snapshot(clean.stores.profiles);
    await clean.close();

    const crashed = await start([{ id: 'news1', members }], goal, existing);
    const realStore = crashed.stores.profiles;
    let pages = 0;
    // The process "dies" after the first page's profiles were written: the second write never happens.
    const dying = Object.create(realStore) as ProfileStore;
    dying.applyPatches = async (patches: ProfilePatch[]) => {
      if (++pages === 2) throw new Error('process killed');
      return realStore.applyPatches(patches);
    };
    const interrupted = await crashed.serviceOver(dying).runNow('e2e');
    expect(interrupted.status).toBe('failed');
    expect(await realStore.count()).toBeLessThan(1050);

    expect((await crashed.run()).status).toBe('succeeded');
    expect(await snapshot(realStore)).toEqual(expected);
    expect((await crashed.run()).status).toBe('succeeded');
    expect(await snapshot(realStore)).toEqual(expected);
  }, 240_000);
});

describe('import goal: a sum across months of runs', () => {
  /** Adds a tag the way a marketer would, over the API. */
  async function tagMember(w: World<WorldStores>, listId: string, email: string, tag: string): Promise<void> {
    const response = await fetch(`${w.sandbox.baseUrl}/lists/${listId}/members/${subscriberHash(email)}/tags`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`any:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tags: [{ name: tag, status: 'active' }] }),
    });
    expect(response.status).toBe(204);
  }

  it('moves by the change of the member value only: its own export, unrelated edits and full runs add nothing', async () => {
    const sum = importGoal({
      audiences: [{ id: 'news1', createProfiles: false }],
      mappings: [{ from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }],
    });
    const exportGoal = newsletterExport();
    const w = await worlds.start({
      lists: [{ id: 'news1', name: 'Audience news1', merge_fields: NUMBER_FIELD, members: [member('ann@example.com', { merge_fields: { FNAME: 'Ann', POINTS: 120 } })] }],
      profiles: [profile('a', 'ann@example.com', { properties: { email: ['ann@example.com'], firstName: ['Ann'] } })],
      goals: [sum, exportGoal],
    });
    const score = async () => (await w.stores.profiles.findById(['a']))[0].properties.score;

    expect((await w.run()).status).toBe('succeeded');
    expect(await score()).toEqual([120]);

    // The CDP changes the first name: the export writes the member, which moves its last_changed.
    const [ann] = await w.stores.profiles.findById(['a']);
    await w.stores.profiles.upsertProfiles([{ ...ann, properties: { ...ann.properties, firstName: ['Annie'] }, updatedAt: new Date() }]);
    expect(audienceReport(await w.run(), 1)).toMatchObject({ updated: 1 });
    const echo = await w.run();
    expect(audienceReport(echo, 0)).toMatchObject({ unchanged: 1, updated: 0 });
    expect(await score()).toEqual([120]);

    // A marketer tags the member and edits a field nobody maps.
    await tagMember(w, 'news1', 'ann@example.com', 'met-at-fair');
    await patchMember(w, 'news1', 'ann@example.com', { merge_fields: { FNAME: 'Annie' }, language: 'fr' });
    expect(audienceReport(await w.run(), 0)).toMatchObject({ unchanged: 1, updated: 0 });
    expect(await score()).toEqual([120]);

    await patchMember(w, 'news1', 'ann@example.com', { merge_fields: { POINTS: 150 } });
    expect(audienceReport(await w.run(), 0)).toMatchObject({ updated: 1 });
    expect(await score()).toEqual([150]);

    await w.run({ full: true });
    await w.run({ full: true });
    expect(await score()).toEqual([150]);
  });
});

describe('import goal: secrets', () => {
  it('never writes the API key into reports, history or logs', async () => {
    const w = await start([{ id: 'news1', members: [member('ann@example.com')] }], importGoal());
    const report = await w.run();
    const history = await w.service.history({ connectionId: 'e2e' });
    expect(JSON.stringify([report, history, w.logLines])).not.toContain(API_KEY.split('-')[0]);
  });
});

/** Profiles by email with what a run decides (not when it ran). */
async function snapshot(store: ProfileStore): Promise<Record<string, unknown>> {
  const all: Profile[] = [];
  for await (const batch of store.streamSegment({ segment: 'newsletter' })) all.push(...batch);
  const created = await store.count();
  const result: Record<string, unknown> = { count: created };
  for (const p of all) result[String(p.properties.email)] = { id: p.id, properties: p.properties, consent: p.consent };
  return result;
}
