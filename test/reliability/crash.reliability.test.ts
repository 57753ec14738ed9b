import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox, type SeedList } from '@cdp/mailchimp-sandbox';
import type { Connection, Profile, RunReport } from '@cdp/sdk';
import { openMongoStores, startEmbeddedMongo, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { CATALOG, profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { ChildRun, assertBuilt, type ChildOutcome } from './support/child-run.js';
import { comparableMembers, comparableProfiles, fieldCount } from './support/compare.js';
import { API_KEY, collectStateDocuments, Evidence } from './support/evidence.js';
import { recordFigures, scaled } from './support/figures.js';
import { seededIntegers, sleep } from './support/random.js';
import { connectionTo, CONNECTION_ID, WebhookReceiver } from './support/stack.js';

// A run process killed with SIGKILL at random points, again and again, each time followed by a new run, must end
// in the state of one uninterrupted run. MongoDB store over the wire; the sandbox over HTTP.

const PROFILES = scaled(1_000, 300);
const CRASHES = 20;
/** A run may finish before its kill time; the loop goes on until CRASHES runs were really killed. */
const MAX_ATTEMPTS = 2 * CRASHES;
const LEASE_MS = 1_500;
const CHANGES_PER_CRASH = 5;
/** A clean run of the full size takes about a minute on the in-memory server; the loop up to CRASHES of them. */
const RUN_TIMEOUT_MS = 5 * 60_000;
const LOOP_TIMEOUT_MS = 60 * 60_000;
const email = (i: number): string => `crash${i}@example.com`;

const MERGE_FIELDS = [
  { tag: 'FNAME', name: 'First name', type: 'text' as const },
  { tag: 'LNAME', name: 'Last name', type: 'text' as const },
  { tag: 'POINTS', name: 'Points', type: 'number' as const },
];

/** The export target, and an import source whose members match 80% of the profiles; the rest are new people. */
function lists(): SeedList[] {
  const members = Array.from({ length: PROFILES }, (_, k) => {
    const i = k + PROFILES / 5;
    return {
      email_address: email(i),
      status: 'subscribed' as const,
      merge_fields: { FNAME: `Member ${i}`, POINTS: (i % 9) + 1 },
      tags: i % 4 === 0 ? ['gold'] : [],
      last_changed: '2026-02-01T10:00:00+00:00',
    };
  });
  return [
    { id: 'news', name: 'Newsletter', merge_fields: MERGE_FIELDS },
    { id: 'crm', name: 'CRM', merge_fields: MERGE_FIELDS, members },
  ];
}

function goals(): Connection['goals'] {
  return [
    {
      id: 'export',
      kind: 'export',
      segment: 'newsletter',
      audiences: ['news'],
      identifier: 'email',
      mappings: [
        { source: 'property', property: 'firstName', to: 'FNAME' },
        { source: 'property', property: 'lastName', to: 'LNAME' },
      ],
      batchSize: 100,
    },
    {
      id: 'import',
      kind: 'import',
      audiences: [{ id: 'crm', createProfiles: true }],
      grantedObjectives: { subscribed: ['newsletter'] },
      identifier: 'email',
      mappings: [
        { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' },
        { from: 'merge_fields.FNAME', to: 'city', mode: 'set' },
        { from: 'tags', to: 'interests', mode: 'add' },
      ],
    },
  ];
}

const initialProfiles = (): Profile[] =>
  Array.from({ length: PROFILES }, (_, i) =>
    profile(`p${i}`, email(i), { properties: { email: [email(i)], firstName: [`First ${i}`], lastName: [`Last ${i}`], score: [100] } }),
  );

/** The profile changes made before crash run `n`: firstName of a few profiles, at fixed, seeded positions. */
const changeTargets = seededIntegers(7, MAX_ATTEMPTS * CHANGES_PER_CRASH, 0, PROFILES - 1);
function changesBefore(n: number): { index: number; firstName: string }[] {
  return changeTargets.slice(n * CHANGES_PER_CRASH, (n + 1) * CHANGES_PER_CRASH).map((index) => ({ index, firstName: `Changed before crash ${n}` }));
}

/** One database and one sandbox: the crashed world, or the clean reference. */
interface Side {
  stores: MongoStores;
  sandbox: Sandbox;
  database: string;
}

const evidence = new Evidence();
let mongo: EmbeddedMongo;
let webhook: WebhookReceiver;
let crashed: Side;
let reference: Side;

async function openSide(database: string, profiles: Profile[]): Promise<Side> {
  const stores = await openMongoStores(mongo.uri, { database, uniqueIdentifiers: ['email'] });
  await stores.profiles.upsertProfiles(profiles);
  const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: lists() } });
  return { stores, sandbox, database };
}

function startRun(side: Side): ChildRun {
  const connection = connectionTo(side.sandbox.baseUrl, goals(), { notify: [{ type: 'webhook', url: webhook.url, on: 'always' }] });
  return new ChildRun({ mongoUri: mongo.uri, database: side.database, connection, catalog: CATALOG, leaseMs: LEASE_MS }, evidence);
}

async function completedRun(side: Side): Promise<RunReport> {
  const outcome = await startRun(side).outcome();
  if (outcome.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(outcome)}`);
  return outcome.report;
}

/** Changes profiles as the CDP would between runs (a new first name, a new `updatedAt`); returns when. */
async function changeProfiles(changes: { index: number; firstName: string }[]): Promise<Date> {
  const current = await crashed.stores.profiles.findById(changes.map(({ index }) => `p${index}`));
  const now = new Date();
  for (const { index, firstName } of changes) {
    const target = current.find((p) => p.id === `p${index}`)!;
    target.properties.firstName = [firstName];
    target.updatedAt = now;
  }
  await crashed.stores.profiles.upsertProfiles(current);
  return now;
}

async function allProfiles(side: Side): Promise<Profile[]> {
  const emails = Array.from({ length: PROFILES + PROFILES / 5 }, (_, i) => email(i));
  return side.stores.profiles.findByIdentifier('email', emails);
}

beforeAll(async () => {
  assertBuilt();
  mongo = await startEmbeddedMongo('reliability-crash');
  webhook = await WebhookReceiver.start();
  // The reference holds every change up front and runs once, uninterrupted.
  const final = initialProfiles();
  for (let n = 0; n < MAX_ATTEMPTS; n++) for (const { index, firstName } of changesBefore(n)) final[index].properties.firstName = [firstName];
  reference = await openSide('crash_reference', final);
  crashed = await openSide('crash_crashed', initialProfiles());
});

afterAll(async () => {
  for (const side of [crashed, reference]) {
    await side?.sandbox.close();
    await side?.stores.close();
  }
  await webhook?.close();
  await mongo?.stop();
});

describe(`crashes: ${CRASHES} runs killed with SIGKILL at random points (${PROFILES} profiles, MongoDB over the wire)`, () => {
  let cleanRunMs = 0;
  const outcomes: ChildOutcome['kind'][] = [];
  let locksLeftHeld = 0;
  let lastChangeAt = new Date(0);

  it('the reference run completes uninterrupted', async () => {
    const started = Date.now();
    const report = await completedRun(reference);
    cleanRunMs = Date.now() - started;
    expect(report.status).toBe('succeeded');
  }, RUN_TIMEOUT_MS);

  it(`survives ${CRASHES} kills, each followed by a new run; a killed run's lock is freed by its lease`, async () => {
    // Kill points are fractions of the last run's length: once a run completes, the next ones have less to do.
    const fractions = seededIntegers(11, MAX_ATTEMPTS, 0, 1000).map((permille) => permille / 1000);
    let runMs = cleanRunMs;
    let n = 0;
    for (; n < MAX_ATTEMPTS && outcomes.filter((kind) => kind === 'killed').length < CRASHES; n++) {
      lastChangeAt = await changeProfiles(changesBefore(n));
      const run = startRun(crashed);
      const started = Date.now();
      await sleep(fractions[n] * runMs);
      run.kill();
      const outcome = await run.outcome();
      outcomes.push(outcome.kind);
      if (outcome.kind === 'report') runMs = Date.now() - started;
      if (outcome.kind === 'error') expect(outcome.code).toBe('already_running');

      // Whatever the killed run held expires within one lease, and then the lock can be taken again.
      const probe = await crashed.stores.state.acquireLock(CONNECTION_ID, 'probe', 1);
      if (!probe.acquired) {
        locksLeftHeld++;
        expect(probe.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(LEASE_MS);
        await sleep(probe.expiresAt.getTime() - Date.now() + 50);
        expect(await crashed.stores.state.acquireLock(CONNECTION_ID, 'probe', 1)).toEqual({ acquired: true });
      }
      await crashed.stores.state.releaseLock(CONNECTION_ID, 'probe');
    }
    expect(outcomes.filter((kind) => kind === 'killed')).toHaveLength(CRASHES);
    // The changes planned for attempts that were not needed are made now, before the last run.
    for (; n < MAX_ATTEMPTS; n++) lastChangeAt = await changeProfiles(changesBefore(n));
  }, LOOP_TIMEOUT_MS);

  it('a new run after the last crash completes', async () => {
    const report = await completedRun(crashed);
    expect(report.status).toBe('succeeded');
  }, RUN_TIMEOUT_MS);

  it('ends with the audience of the uninterrupted run: no duplicate member, no lost change', () => {
    const members = crashed.sandbox.admin.dump().lists.find((list) => list.id === 'news')!.members;
    expect(new Set(members.map((m) => m.email_address)).size).toBe(members.length);
    expect(members).toHaveLength(PROFILES);
    expect(comparableMembers(members)).toEqual(comparableMembers(reference.sandbox.admin.dump().lists.find((list) => list.id === 'news')!.members));
  });

  it('ends with the profiles of the uninterrupted run: every sum applied once', async () => {
    const profiles = await allProfiles(crashed);
    const expected = await allProfiles(reference);
    expect(profiles).toHaveLength(PROFILES + PROFILES / 5);
    expect(comparableProfiles(profiles, { ignoreUpdatedAt: true })).toEqual(comparableProfiles(expected, { ignoreUpdatedAt: true }));
    const matched = profiles.find((p) => p.id === `p${PROFILES / 5}`)!;
    expect(matched.properties.score).toEqual([100 + ((PROFILES / 5) % 9) + 1]);
  });

  it('moved the watermarks past every change, so a further run finds nothing to do', async () => {
    for (const goal of ['export', 'import']) {
      const watermark = await crashed.stores.state.getWatermark(CONNECTION_ID, goal);
      expect(watermark).toBeDefined();
      expect(watermark!.getTime()).toBeLessThanOrEqual(Date.now());
    }
    expect((await crashed.stores.state.getWatermark(CONNECTION_ID, 'export'))!.getTime()).toBeGreaterThan(lastChangeAt.getTime());
    const again = await completedRun(crashed);
    const [exported, imported] = again.goals.map((goal) => goal.audiences[0]);
    expect({ created: exported.created, updated: exported.updated }).toEqual({ created: 0, updated: 0 });
    expect({ created: imported.created, updated: imported.updated }).toEqual({ created: 0, updated: 0 });
    expect(await crashed.stores.state.getCheckpoint(CONNECTION_ID, 'import')).toBeUndefined();
  }, RUN_TIMEOUT_MS);

  it('leaks the API key nowhere: logs, reports, history documents, webhook bodies', async () => {
    for (const side of [crashed, reference]) await collectStateDocuments(evidence, side.stores.db);
    for (const body of webhook.bodies) evidence.add('webhook body', body);
    evidence.expectNoSecret();
    const killed = outcomes.filter((kind) => kind === 'killed').length;
    recordFigures('crash', {
      profiles: PROFILES,
      crashes: CRASHES,
      attempts: outcomes.length,
      killed,
      finishedBeforeTheKill: outcomes.filter((kind) => kind === 'report').length,
      refusedAsAlreadyRunning: outcomes.filter((kind) => kind === 'error').length,
      locksLeftHeldByAKilledRun: locksLeftHeld,
      cleanRunMs,
      evidenceSearched: evidence.counts(),
      fieldsCompared: fieldCount(comparableMembers(crashed.sandbox.admin.dump().lists[0].members)),
    });
  });
});
