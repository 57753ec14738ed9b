import { describe, expect, it } from '@jest/globals';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { subscriberHash, type ImportGoal } from '@cdp/sdk';
import { audienceReport, profile, Worlds } from './world.js';

// The import goal's options for how it reads and matches: page size, and identifiers that hold the email's MD5.

const worlds = new Worlds('import-options');

const MEMBERS_ROUTE = 'GET /3.0/lists/{list_id}/members';

function importGoal(overrides: Partial<ImportGoal>): ImportGoal {
  return {
    id: 'from-newsletter',
    kind: 'import',
    audiences: [{ id: 'news1' }],
    identifier: 'email',
    mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }],
    ...overrides,
  };
}

const member = (name: string): SeedMember => ({ email_address: `${name}@example.com`, status: 'subscribed', merge_fields: { FNAME: name } });

function start(members: SeedMember[], goal: ImportGoal, profiles = members.map((m) => profile(m.email_address.split('@')[0], m.email_address))) {
  return worlds.start({ lists: [{ id: 'news1', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }], members }], profiles, goals: [goal] });
}

describe('import goal: page size', () => {
  it('reads the audience in pages of the configured size, every member once', async () => {
    const members = Array.from({ length: 250 }, (_, i) => member(`m${i}`));
    const w = await start(members, importGoal({ pageSize: 100 }));
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ selected: 250, updated: 250 });
    // At least three pages of 100; more when members share a second of last_changed, as each page after the
    // first then reads again up to 50 members already seen.
    expect(w.sandbox.admin.counters().byRoute[MEMBERS_ROUTE]).toBeGreaterThanOrEqual(3);

    w.setGoals([importGoal({})]);
    w.sandbox.admin.resetCounters();
    expect(audienceReport(await w.run({ full: true }))).toMatchObject({ selected: 250 });
    expect(w.sandbox.admin.counters().byRoute[MEMBERS_ROUTE]).toBe(1);
  });
});

describe('import goal: identifiers holding the MD5 of the email', () => {
  const hashed = (name: string) => profile(name, subscriberHash(`${name}@example.com`));

  it('matches profiles whose identifier is the hash, and creates new ones with the hash', async () => {
    const goal = importGoal({ identifierFormat: 'md5', audiences: [{ id: 'news1', createProfiles: true }], grantedObjectives: { subscribed: ['newsletter'] } });
    const w = await start([member('ann'), member('bob')], goal, [hashed('ann')]);
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1, created: 1 });
    const [ann] = await w.stores.profiles.findById(['ann']);
    expect(ann.properties.firstName).toEqual(['ann']);
    const [bob] = await w.stores.profiles.findByIdentifier('email', [subscriberHash('bob@example.com')]);
    expect(bob.properties).toMatchObject({ email: [subscriberHash('bob@example.com')], firstName: ['bob'] });
  });

  const mixed = () => [profile('ann', 'ann@example.com'), hashed('bob')];

  it('with emailOrMd5 matches either form', async () => {
    const w = await start([member('ann'), member('bob')], importGoal({ identifierFormat: 'emailOrMd5' }), mixed());
    expect(audienceReport(await w.run())).toMatchObject({ updated: 2 });
  });

  it('with email, the default, matches only the email', async () => {
    const w = await start([member('ann'), member('bob')], importGoal({}), mixed());
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1, skipped: { notFound: 1 } });
  });
});
