import { describe, expect, it } from '@jest/globals';
import type { SeedList, SeedMember } from '@cdp/mailchimp-sandbox';
import type { ExportGoal, Profile } from '@cdp/sdk';
import { API_KEY, audienceReport, newsletterExport, profile, Worlds } from './world.js';

// Export goal options that decide which members are written: email exclusion rules, add-only mode, erasure.

const worlds = new Worlds('export-options');

const list = (members: SeedMember[] = []): SeedList => ({ id: 'news1', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }], members });

function start(profiles: Profile[], goal: ExportGoal, members: SeedMember[] = []) {
  return worlds.start({ lists: [list(members)], profiles, goals: [goal] });
}

const named = (id: string, email: string) => profile(id, email, { properties: { email: [email], firstName: [id] } });

describe('export goal: email exclusion rules', () => {
  const profiles = [
    named('ann', 'ann@shop.com'),
    named('spy', 'Spy@Competitor.com'),
    named('tst', 'test+42@shop.com'),
    named('bot', 'noreply@shop.com'),
    named('bob', 'bob@shop.com'),
  ];
  const excludeEmails = { patterns: ['*@competitor.com', 'test+*@*', 'noreply@'] };

  it('sends no member for an excluded email and counts each as excludedEmail', async () => {
    const w = await start(profiles, newsletterExport({ excludeEmails }));
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ selected: 5, created: 2, skipped: { excludedEmail: 3 } });
    expect(w.members('news1').map((m) => m.email_address).sort()).toEqual(['ann@shop.com', 'bob@shop.com']);
    expect(audienceReport(report).warnings).toBeUndefined();
  });

  it('cdp test warns about a pattern matching more than the configured share of the segment, and writes nothing', async () => {
    const w = await start(profiles, newsletterExport({ excludeEmails: { patterns: ['*@shop.com', 'noreply@'], warnAboveShare: 0.5 } }));
    const report = await w.run({ dryRun: true });
    expect(audienceReport(report)).toMatchObject({ created: 1, skipped: { excludedEmail: 4 } });
    expect(audienceReport(report).warnings).toEqual(['exclusion pattern "*@shop.com" matches 4 of the segment\'s 5 emails (80%, more than 50%)']);
    expect(w.writeCalls()).toBe(0);
    expect(w.members('news1')).toEqual([]);
  });

  it('membership sync counts an excluded member as one the segment does not want', async () => {
    const w = await start(profiles.slice(0, 2), newsletterExport({ removeNonSegmentMembers: { maxRemovalShare: 1 } }));
    await w.run();
    w.setGoals([newsletterExport({ excludeEmails, removeNonSegmentMembers: { maxRemovalShare: 1 } })]);
    expect(audienceReport(await w.run())).toMatchObject({ removed: 1 });
    expect(w.member('news1', 'spy@competitor.com')?.status).toBe('archived');
  });
});

describe('export goal: write modes', () => {
  const existing: SeedMember[] = [{ email_address: 'ann@shop.com', status: 'subscribed', merge_fields: { FNAME: 'Old' } }];
  const profiles = [named('ann', 'ann@shop.com'), named('bob', 'bob@shop.com')];

  it('createOnly creates new members and leaves existing ones untouched, counted as exists', async () => {
    const w = await start(profiles, newsletterExport({ writeMode: 'createOnly' }), existing);
    expect(audienceReport(await w.run({ dryRun: true }))).toMatchObject({ created: 1, updated: 0, skipped: { exists: 1 } });
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ created: 1, updated: 0, skipped: { exists: 1 }, failed: 0 });
    expect(w.member('news1', 'ann@shop.com')?.merge_fields.FNAME).toBe('Old');
    expect(w.member('news1', 'bob@shop.com')?.merge_fields.FNAME).toBe('bob');

    // A later change to a member the goal created is not written either: add-only means add-only.
    await w.stores.profiles.upsertProfiles([profile('bob', 'bob@shop.com', { properties: { email: ['bob@shop.com'], firstName: ['Robert'] }, updatedAt: new Date() })]);
    expect(audienceReport(await w.run())).toMatchObject({ created: 0, updated: 0, skipped: { exists: 1 } });
    expect(w.member('news1', 'bob@shop.com')?.merge_fields.FNAME).toBe('bob');
  });

  it('updateOnly and the former createMembers: false update existing members only', async () => {
    for (const goal of [newsletterExport({ writeMode: 'updateOnly' }), newsletterExport({ createMembers: false })]) {
      const w = await start(profiles, goal, existing);
      expect(audienceReport(await w.run())).toMatchObject({ created: 0, updated: 1, skipped: { notFound: 1 } });
      expect(w.member('news1', 'ann@shop.com')?.merge_fields.FNAME).toBe('ann');
      // One world per goal: the test's worlds close only the last one started.
      await w.close();
    }
  });

  it('refuses writeMode together with createMembers, naming the option to remove', async () => {
    const w = await start(profiles, newsletterExport({ writeMode: 'createOnly', createMembers: true }));
    await expect(w.run()).rejects.toThrow('/goals/0/createMembers: createMembers is replaced by writeMode');
    expect(w.writeCalls()).toBe(0);
  });
});

describe('export goal: erasure', () => {
  const profiles = [named('ann', 'ann@shop.com'), named('bob', 'bob@shop.com')];

  it('deletes permanently the member of an erased profile when the goal says so, and records it', async () => {
    const w = await start(profiles, newsletterExport({ onProfileDeleted: 'deletePermanently' }));
    await w.run();
    await w.stores.db.collection('profiles').deleteOne({ _id: 'bob' as never });

    expect(audienceReport(await w.run({ dryRun: true }))).toMatchObject({ erased: 1, withdrawn: 0 });
    expect(w.member('news1', 'bob@shop.com')).toBeDefined();
    const report = await w.run();
    expect(audienceReport(report)).toMatchObject({ erased: 1, withdrawn: 0, failed: 0 });
    expect(w.member('news1', 'bob@shop.com')).toBeUndefined();
    expect(w.sandbox.admin.dump().lists[0].forgotten).toHaveLength(1);
    // Erased means forgotten here too: the goal's record keeps neither the email nor the profile.
    const records = await w.stores.db.collection('connection_sent').find({}).toArray();
    const bobs = records.filter((r) => JSON.stringify(r).includes('bob'));
    expect(bobs).toEqual([]);
    // Nothing happens twice, and the email cannot come back by import.
    const later = audienceReport(await w.run());
    expect(later.erased).toBeUndefined();
    expect(later.withdrawn).toBe(0);
    await w.stores.profiles.upsertProfiles([profile('bob2', 'bob@shop.com', { updatedAt: new Date() })]);
    const again = audienceReport(await w.run());
    expect(again).toMatchObject({ created: 0, failed: 1 });
    expect(again.failures[0].reason).toContain('permanently deleted');
    expect(JSON.stringify(report)).not.toContain(API_KEY);
  });

  it('without the option an erased profile is withdrawn as onConsentWithdrawn says, never deleted', async () => {
    const w = await start(profiles, newsletterExport({ onConsentWithdrawn: 'archive' }));
    await w.run();
    await w.stores.db.collection('profiles').deleteOne({ _id: 'bob' as never });
    expect(audienceReport(await w.run())).toMatchObject({ withdrawn: 1 });
    expect(w.member('news1', 'bob@shop.com')?.status).toBe('archived');
    expect(w.sandbox.admin.dump().lists[0].forgotten).toEqual([]);
  });

  it('a withdrawn consent is never an erasure, even with deletePermanently', async () => {
    const w = await start(profiles, newsletterExport({ onProfileDeleted: 'deletePermanently' }));
    await w.run();
    await w.stores.profiles.upsertProfiles([profile('bob', 'bob@shop.com', { consent: { objectives: [] }, updatedAt: new Date() })]);
    expect(audienceReport(await w.run())).toMatchObject({ withdrawn: 1 });
    expect(w.member('news1', 'bob@shop.com')?.status).toBe('unsubscribed');
  });
});
