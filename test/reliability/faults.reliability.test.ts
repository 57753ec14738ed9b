import { afterAll, describe, expect, it } from '@jest/globals';
import type { FaultConfig, SeedList } from '@cdp/mailchimp-sandbox';
import { InMemoryProfileStore, InMemoryStateStore, type Clock, type Connection, type Profile, type RunReport } from '@cdp/sdk';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { comparableMembers, comparableProfiles, fieldCount } from './support/compare.js';
import { Evidence } from './support/evidence.js';
import { faultsDrawn, totalFaults, withCleanFirstRequest } from './support/faults.js';
import { recordFigures, scaled } from './support/figures.js';
import { CONNECTION_ID, retriesOf, Stack } from './support/stack.js';

// A 20% fault rate during a large export and import must end in exactly the state of a clean run.
// High volume runs on the SDK's in-memory stores; Mailchimp is the sandbox behind the official client.

const SIZE = scaled(20_000, 4_000);
const TIMEOUT_MS = 2_000;
const FAULTS = withCleanFirstRequest({
  rate429: 0.05,
  retryAfterSeconds: 1,
  rate500: 0.04,
  rate503: 0.04,
  rateReset: 0.04,
  // "Over-long" answers: just beyond the client's timeout, so they are abandoned and retried.
  rateSlow: 0.03,
  slowMs: TIMEOUT_MS + 300,
});

/** Short backoff so hundreds of faults cost seconds; 8 in flight leaves the sandbox's 10-slot limit headroom. */
const connector = createMailchimpConnector({ timeoutMs: TIMEOUT_MS, maxInFlight: 8, retry: { maxRetries: 10, baseDelayMs: 20, maxDelayMs: 200 }, allowAnyBaseUrl: true });
const clock: Clock = { now: () => new Date('2026-03-02T09:00:00Z') };

const email = (i: number): string => `person${i}@example.com`;

/** SIZE consented profiles in the segment (exported); the import list overlaps half of them. */
function initialProfiles(): Profile[] {
  return Array.from({ length: SIZE }, (_, i) =>
    profile(`p${i}`, email(i), { properties: { email: [email(i)], firstName: [`First ${i}`], lastName: [`Ünïcödé ${i} 😀`], score: [i % 7] } }),
  );
}

const MERGE_FIELDS = [
  { tag: 'FNAME', name: 'First name', type: 'text' as const },
  { tag: 'LNAME', name: 'Last name', type: 'text' as const },
  { tag: 'POINTS', name: 'Points', type: 'number' as const },
];

/** The export target (empty) and the import source: SIZE members, half matching profiles, some unsubscribed. */
function lists(): SeedList[] {
  const members = Array.from({ length: SIZE }, (_, k) => {
    const i = k + SIZE / 2;
    return {
      email_address: email(i),
      status: i % 10 === 0 ? ('unsubscribed' as const) : ('subscribed' as const),
      merge_fields: { FNAME: `Member ${i}`, POINTS: (i % 13) + 1 },
      tags: i % 3 === 0 ? ['vip'] : [],
      last_changed: '2026-02-01T10:00:00+00:00',
    };
  });
  return [
    { id: 'exp', name: 'Export target', merge_fields: MERGE_FIELDS },
    { id: 'imp', name: 'Import source', merge_fields: MERGE_FIELDS, members },
  ];
}

const GOALS: Connection['goals'] = [
  {
    id: 'export-all',
    kind: 'export',
    segment: 'newsletter',
    audiences: ['exp'],
    identifier: 'email',
    mappings: [
      { source: 'property', property: 'firstName', to: 'FNAME' },
      { source: 'property', property: 'lastName', to: 'LNAME' },
    ],
    segmentTags: 'all',
    // Smaller than Mailchimp's 500, so even the reduced size makes enough requests for every kind of fault.
    batchSize: 50,
  },
  {
    id: 'import-all',
    kind: 'import',
    audiences: [{ id: 'imp', createProfiles: true }],
    grantedObjectives: { subscribed: ['newsletter'] },
    statuses: ['subscribed', 'unsubscribed'],
    identifier: 'email',
    saveAudiencesTo: 'audiences',
    mappings: [
      { from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' },
      { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' },
      { from: 'tags', to: 'interests', mode: 'add' },
      { from: 'status', to: 'status', mode: 'set' },
    ],
  },
];

interface Outcome {
  report: RunReport;
  requests: number;
  exported: ReturnType<typeof comparableMembers>;
  source: ReturnType<typeof comparableMembers>;
  profiles: Record<string, unknown>;
  sentHashes: Record<string, string | undefined>;
}

const evidence = new Evidence();

/** One run of the connection on fresh stores and a freshly seeded sandbox, with or without faults. */
async function runOnce(faults?: FaultConfig): Promise<Outcome> {
  const profiles = new InMemoryProfileStore(clock);
  const state = new InMemoryStateStore(clock);
  await profiles.upsertProfiles(initialProfiles());
  const stack = await Stack.start({ lists: lists(), goals: GOALS, profiles, state, evidence, faults, connector, clock });
  try {
    const report = await stack.run();
    const requests = stack.sandbox.admin.counters().total;
    const emails = Array.from({ length: SIZE + SIZE / 2 }, (_, i) => email(i));
    const exported = comparableMembers(stack.members('exp'));
    const sent = await state.getSent(CONNECTION_ID, 'export-all', 'exp', stack.members('exp').map((m) => m.id));
    return {
      report,
      requests,
      exported,
      source: comparableMembers(stack.members('imp')),
      profiles: comparableProfiles(await profiles.findByIdentifier('email', emails)),
      sentHashes: Object.fromEntries([...sent].map(([id, record]) => [id, record.hash])),
    };
  } finally {
    await stack.close();
  }
}

describe(`faults: ${SIZE} profiles exported and ${SIZE} members imported at a 20% fault rate`, () => {
  let clean: Outcome;
  let faulty: Outcome;

  afterAll(() => {
    if (!faulty) return;
    const injected = faultsDrawn(FAULTS, faulty.requests);
    recordFigures('faults', {
      profiles: SIZE,
      members: SIZE,
      requests: faulty.requests,
      faultsInjected: injected,
      faultsTotal: totalFaults(injected),
      retriesReported: retriesOf(faulty.report),
      recordsCompared: { members: faulty.exported.length + faulty.source.length, profiles: Object.keys(faulty.profiles).length },
      fieldsCompared: fieldCount([faulty.exported, faulty.source, faulty.profiles]),
    });
  });

  it('runs cleanly without faults (the reference)', async () => {
    clean = await runOnce();
    expect(clean.report.status).toBe('succeeded');
    expect(retriesOf(clean.report)).toBe(0);
    expect(clean.exported).toHaveLength(SIZE);
  });

  it('survives the faults and reports a retry for every one injected', async () => {
    faulty = await runOnce(FAULTS);
    expect(faulty.report.status).toBe('succeeded');
    expect(faulty.report.goals.map((goal) => goal.error)).toEqual([undefined, undefined]);
    const injected = faultsDrawn(FAULTS, faulty.requests);
    for (const count of Object.values(injected)) expect(count).toBeGreaterThan(0);
    // Every injected fault cost exactly one retry; nothing was given up on.
    expect(retriesOf(faulty.report)).toBe(totalFaults(injected));
    expect(totalFaults(injected) / faulty.requests).toBeGreaterThan(0.1);
  });

  it('leaves the audience member for member, field for field, as the clean run left it', () => {
    expect(faulty.exported).toHaveLength(SIZE);
    expect(faulty.exported).toEqual(clean.exported);
    expect(faulty.source).toEqual(clean.source);
    expect(faulty.sentHashes).toEqual(clean.sentHashes);
  });

  it('leaves the profiles field for field as the clean run left them: no sum applied twice', () => {
    expect(Object.keys(faulty.profiles)).toHaveLength(Object.keys(clean.profiles).length);
    expect(faulty.profiles).toEqual(clean.profiles);
    // Spot check of the arithmetic: an imported member's points were added once to the profile's score.
    const i = SIZE / 2 + 1;
    expect((faulty.profiles[`p${i}`] as Profile).properties.score).toEqual([(i % 7) + (i % 13) + 1]);
  });

  it('counts the same records in both reports, except created versus updated', () => {
    // A write that landed although its answer was lost is retried and then finds the member: "updated", not
    // "created". The sum of the two, and every other count, is the clean run's.
    const counts = (report: RunReport) =>
      report.goals.map((goal) =>
        goal.audiences.map(({ selected, created, updated, unchanged, skipped, failed }) => ({ selected, written: created + updated, unchanged, skipped, failed })),
      );
    expect(counts(faulty.report)).toEqual(counts(clean.report));
  });

  it('leaks the API key into no log line, report, webhook body or error message', () => {
    evidence.expectNoSecret();
  });
});
