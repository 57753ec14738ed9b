import { describe, expect, it } from '@jest/globals';
import type { SeedList, SeedMember } from '@cdp/mailchimp-sandbox';
import type { Connection, ExportGoal, ImportGoal } from '@cdp/sdk';
import { audienceReport, newsletterExport, profile, Worlds } from './world.js';

// Marketing permissions (GDPR fields) and interest groups, both ways, through the official client.

const worlds = new Worlds('audience-fields');

const GDPR = { marketing_permissions: [{ marketing_permission_id: 'perm-email', text: 'Email' }, { marketing_permission_id: 'perm-ads', text: 'Customized Online Advertising' }] };
const GROUPS = {
  interest_categories: [
    { id: 'cat-type', title: 'Customer type', interests: [{ id: 'int-vip', name: 'VIP' }, { id: 'int-churn', name: 'Churned' }] },
    { id: 'cat-city', title: 'City', interests: [{ id: 'int-paris', name: 'Paris' }] },
  ],
};

function list(members: SeedMember[] = [], extra: Partial<SeedList> = {}): SeedList {
  return { id: 'news1', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }], members, ...GDPR, ...GROUPS, ...extra };
}

function start(goals: Connection['goals'], members: SeedMember[] = [], profiles = [profile('ann', 'ann@shop.com'), profile('bob', 'bob@shop.com', { consent: { objectives: ['newsletter', 'analytics'] } })]) {
  return worlds.start({ lists: [list(members)], profiles, goals, objectives: ['newsletter', 'analytics'] });
}

const enabledOf = (permissions: Record<string, boolean> | undefined) => Object.entries(permissions ?? {}).filter(([, on]) => on).map(([id]) => id).sort();

describe('export goal: marketing permissions', () => {
  const goal = newsletterExport({ marketingPermissions: [{ objective: 'newsletter', permission: 'Email' }, { objective: 'analytics', permission: 'perm-ads' }] });

  it('enables the permissions of the objectives the profile consents to and disables the others', async () => {
    const w = await start([goal], [{ email_address: 'seed@shop.com', status: 'subscribed' }]);
    expect(audienceReport(await w.run())).toMatchObject({ created: 2, failed: 0 });
    expect(enabledOf(w.member('news1', 'ann@shop.com')?.marketing_permissions)).toEqual(['perm-email']);
    expect(w.member('news1', 'ann@shop.com')?.marketing_permissions).toEqual({ 'perm-email': true, 'perm-ads': false });
    expect(enabledOf(w.member('news1', 'bob@shop.com')?.marketing_permissions)).toEqual(['perm-ads', 'perm-email']);

    // Bob withdraws the analytics objective: its permission is turned off, the other stays on.
    await w.stores.profiles.upsertProfiles([profile('bob', 'bob@shop.com', { updatedAt: new Date() })]);
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1, unchanged: 0 });
    expect(w.member('news1', 'bob@shop.com')?.marketing_permissions).toEqual({ 'perm-email': true, 'perm-ads': false });
    expect(audienceReport(await w.run())).toMatchObject({ updated: 0 });
  });

  it('resolves permissions named by text once the audience has a member to read them from', async () => {
    const w = await start([goal]);
    expect(audienceReport(await w.run())).toMatchObject({ created: 2, failed: 0 });
    expect(enabledOf(w.member('news1', 'ann@shop.com')?.marketing_permissions)).toEqual(['perm-email']);
  });

  it('fails the goal before writing when the audience lacks a permission, naming those it has', async () => {
    const w = await start([newsletterExport({ marketingPermissions: [{ objective: 'newsletter', permission: 'SMS' }] })], [{ email_address: 'seed@shop.com', status: 'subscribed' }]);
    const report = await w.run();
    expect(report.goals[0].error).toBe('audience news1 has no marketing permission "SMS"; it has Email (perm-email), Customized Online Advertising (perm-ads)');
    expect(w.writeCalls()).toBe(0);
  });
});

describe('import goal: marketing permissions into consent', () => {
  const importGoal: ImportGoal = {
    id: 'from-newsletter',
    kind: 'import',
    audiences: [{ id: 'news1', createProfiles: true }],
    identifier: 'email',
    mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }],
    marketingPermissions: [{ permission: 'Email', objective: 'newsletter' }],
  };

  it('creates a profile with the consent of the permissions its member enabled, and none for a member without', async () => {
    const members: SeedMember[] = [
      { email_address: 'opt@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Opt' }, marketing_permissions: { 'perm-email': true } },
      { email_address: 'off@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Off' }, marketing_permissions: { 'perm-email': false } },
    ];
    const w = await start([importGoal], members, []);
    expect(audienceReport(await w.run())).toMatchObject({ created: 1, skipped: { noConsent: 1 } });
    const [opt] = await w.stores.profiles.findByIdentifier('email', ['opt@shop.com']);
    expect(opt.consent.objectives).toEqual(['newsletter']);
    expect(await w.stores.profiles.findByIdentifier('email', ['off@shop.com'])).toEqual([]);
  });
});

describe('interest groups', () => {
  const exportGoal: ExportGoal = newsletterExport({
    interests: [
      { category: 'Customer type', interest: 'VIP', segment: 'vip' },
      { category: 'City', interest: 'Paris', property: 'city', value: 'Paris' },
    ],
  });
  const profiles = [
    profile('ann', 'ann@shop.com', { segments: ['newsletter', 'vip'], properties: { email: ['ann@shop.com'], city: ['Paris'] } }),
    profile('bob', 'bob@shop.com', { properties: { email: ['bob@shop.com'], city: ['Lyon'] } }),
  ];

  it('export sets the interests of the segments and property values, and clears them when they no longer hold', async () => {
    const w = await start([exportGoal], [], profiles);
    expect(audienceReport(await w.run())).toMatchObject({ created: 2, failed: 0 });
    expect(w.member('news1', 'ann@shop.com')?.interests).toEqual({ 'int-vip': true, 'int-paris': true });
    expect(w.member('news1', 'bob@shop.com')?.interests).toEqual({ 'int-vip': false, 'int-paris': false });

    await w.stores.profiles.upsertProfiles([profile('ann', 'ann@shop.com', { properties: { email: ['ann@shop.com'], city: ['Paris'] }, updatedAt: new Date() })]);
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1 });
    expect(w.member('news1', 'ann@shop.com')?.interests).toEqual({ 'int-vip': false, 'int-paris': true });
  });

  it('export fails before writing when the audience lacks an interest', async () => {
    const w = await start([newsletterExport({ interests: [{ category: 'Customer type', interest: 'Gold', segment: 'vip' }] })], [], profiles);
    const report = await w.run();
    expect(report.goals[0].error).toContain('audience news1 lacks the interests Customer type › Gold (category › interest); it has Customer type › VIP, Customer type › Churned, City › Paris');
    expect(w.writeCalls()).toBe(0);
  });

  it('import reads the names of a category\'s interests the member is in into a property', async () => {
    const members: SeedMember[] = [
      { email_address: 'ann@shop.com', status: 'subscribed', interests: { 'int-vip': true, 'int-churn': true, 'int-paris': true } },
      { email_address: 'bob@shop.com', status: 'subscribed', interests: { 'int-vip': false } },
    ];
    const importGoal: ImportGoal = {
      id: 'from-newsletter',
      kind: 'import',
      audiences: [{ id: 'news1' }],
      identifier: 'email',
      mappings: [{ from: 'interests', category: 'Customer type', to: 'interests', mode: 'set' }],
    };
    const w = await start([importGoal], members);
    expect(audienceReport(await w.run())).toMatchObject({ updated: 1, unchanged: 1 });
    const [ann, bob] = await w.stores.profiles.findById(['ann', 'bob']);
    expect(ann.properties.interests).toEqual(['VIP', 'Churned']);
    expect(bob.properties.interests).toBeUndefined();

    w.setGoals([{ ...importGoal, mappings: [{ from: 'interests', category: 'Hobbies', to: 'interests', mode: 'set' }] }]);
    expect((await w.run({ full: true })).goals[0].error).toBe('audience news1 has no interest category "Hobbies"; it has "Customer type", "City"');
  });
});
