import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SeedMember } from '@cdp/mailchimp-sandbox';
import { hasConsent, InMemoryProfileStore, InMemoryStateStore, type Connection, type Profile } from '@cdp/sdk';
import { CATALOG, profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { comparableMembers } from './support/compare.js';
import { Evidence } from './support/evidence.js';
import { recordFigures, scaled } from './support/figures.js';
import { CONNECTION_ID, Stack } from './support/stack.js';

// Property: whatever the profiles, objectives, segments and goals, a profile without consent to one of the
// connection's objectives is never sent to Mailchimp and never updated from it.

const OBJECTIVES = ['newsletter', 'analytics', 'marketing', 'profiling'];
const SEGMENTS = ['newsletter', 'vip', 'churned'];
const RUNS = scaled(200, 50);

const subsetOf = <T>(items: T[], minLength = 0) => fc.subarray(items, { minLength });

const profileArb = (i: number) =>
  fc.record({
    segments: subsetOf(SEGMENTS),
    consent: subsetOf(OBJECTIVES),
    firstName: fc.string({ maxLength: 12 }),
    seeded: fc.option(fc.constantFrom('subscribed', 'unsubscribed', 'pending', 'cleaned') as fc.Arbitrary<SeedMember['status']>, { nil: undefined }),
    points: fc.integer({ min: -5, max: 50 }),
  }).map((p) => ({ ...p, email: `person${i}@example.com` }));

const scenarioArb = fc.record({
  profiles: fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => profileArb(i)))),
  strangers: fc.array(fc.constantFrom('subscribed', 'unsubscribed', 'pending') as fc.Arbitrary<SeedMember['status']>, { maxLength: 4 }),
  objectives: subsetOf(OBJECTIVES, 1),
  segment: fc.constantFrom(...SEGMENTS),
  createMembers: fc.boolean(),
  newMemberStatus: fc.constantFrom('subscribed' as const, 'pending' as const),
  statuses: subsetOf(['subscribed', 'unsubscribed', 'pending', 'cleaned'] as const, 1),
  createProfiles: fc.boolean(),
  importFirst: fc.boolean(),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function goalsOf(s: Scenario): Connection['goals'] {
  const exportGoal: Connection['goals'][number] = {
    id: 'export',
    kind: 'export',
    segment: s.segment,
    audiences: ['aud'],
    identifier: 'email',
    mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }],
    segmentTags: 'all',
    createMembers: s.createMembers,
    newMemberStatus: s.newMemberStatus,
  };
  const importGoal: Connection['goals'][number] = {
    id: 'import',
    kind: 'import',
    audiences: [{ id: 'aud', createProfiles: s.createProfiles }],
    // Only a subscription grants consent, and only to what the connection asks for.
    grantedObjectives: { subscribed: [...s.objectives] },
    statuses: [...s.statuses],
    identifier: 'email',
    mappings: [
      { from: 'merge_fields.FNAME', to: 'city', mode: 'set' },
      { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' },
      { from: 'tags', to: 'interests', mode: 'add' },
    ],
  };
  return s.importFirst ? [importGoal, exportGoal] : [exportGoal, importGoal];
}

const evidence = new Evidence();

describe('consent: property over random profiles, objectives, segments and goals', () => {
  const figures = { runs: 0, profiles: 0, withoutConsent: 0, sentWithConsent: 0, importedWithConsent: 0 };

  it(`never sends or updates a profile without consent (${RUNS} random scenarios)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const profiles = new InMemoryProfileStore();
        const state = new InMemoryStateStore();
        const initial: Profile[] = s.profiles.map((p, i) =>
          profile(`p${i}`, p.email, { properties: { email: [p.email], firstName: [p.firstName] }, segments: p.segments, consent: { objectives: p.consent } }),
        );
        await profiles.upsertProfiles(initial);
        const members = [
          ...s.profiles.flatMap((p, i) => (p.seeded ? [{ email_address: p.email, status: p.seeded, merge_fields: { FNAME: `Seeded ${i}`, POINTS: p.points }, tags: ['seeded'] }] : [])),
          ...s.strangers.map((status, i) => ({ email_address: `stranger${i}@example.com`, status, merge_fields: { FNAME: 'Stranger', POINTS: 1 } })),
        ];
        const stack = await Stack.start({
          lists: [{ id: 'aud', name: 'Audience', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }, { tag: 'POINTS', name: 'Points', type: 'number' }], members }],
          goals: goalsOf(s),
          profiles,
          state,
          evidence,
          catalog: { ...CATALOG, objectives: OBJECTIVES },
          connection: { objectives: s.objectives },
        });
        try {
          const membersBefore = comparableMembers(stack.members('aud'));
          const report = await stack.run();
          expect(report.status).toBe('succeeded');
          const membersAfter = comparableMembers(stack.members('aud'));

          const refused = initial.filter((p) => !hasConsent(p, s.objectives));
          for (const before of refused) {
            const email = before.properties.email[0];
            // Not sent: its member is exactly as it was, or still absent.
            expect(membersAfter.find((m) => m.email_address === email)).toEqual(membersBefore.find((m) => m.email_address === email));
            // Not updated: the profile is exactly as it was.
            expect((await profiles.findById([before.id]))[0]).toEqual(before);
          }
          const sent = await state.getSent(CONNECTION_ID, 'export', 'aud', stack.members('aud').map((m) => m.id));
          const refusedIds = new Set(refused.map((p) => p.id));
          expect([...sent.values()].filter((record) => record.profileId !== undefined && refusedIds.has(record.profileId))).toEqual([]);
          // Profiles created from members carry exactly what the member's status grants: only subscribed ones.
          const created = await profiles.findByIdentifier('email', s.strangers.map((_, i) => `stranger${i}@example.com`));
          for (const p of created) {
            expect(s.strangers[Number(/stranger(\d+)@/.exec(p.properties.email[0] as string)![1])]).toBe('subscribed');
            expect([...p.consent.objectives].sort()).toEqual([...s.objectives].sort());
          }

          figures.runs++;
          figures.profiles += initial.length;
          figures.withoutConsent += refused.length;
          figures.sentWithConsent += sent.size;
          figures.importedWithConsent += report.dataExchange.imported;
        } finally {
          await stack.close();
        }
      }),
      { numRuns: RUNS },
    );
    // The property has teeth only if both kinds of profile, and both directions, really occurred.
    expect(figures.withoutConsent).toBeGreaterThan(0);
    expect(figures.sentWithConsent).toBeGreaterThan(0);
    expect(figures.importedWithConsent).toBeGreaterThan(0);
    recordFigures('consent', figures);
  });

  it('leaks the API key nowhere', () => {
    evidence.expectNoSecret();
  });
});
