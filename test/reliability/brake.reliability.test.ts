import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExportGoal } from '@cdp/sdk';
import { startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { profile, World } from '../../connectors/mailchimp/test/e2e/world.js';
import { collectStateDocuments, Evidence } from './support/evidence.js';
import { recordFigures } from './support/figures.js';

// A segment query that returns nothing (a broken or emptied segment) must never empty the audience.

const MEMBERS = Array.from({ length: 30 }, (_, i) => ({ email_address: `kept${i}@example.com`, status: 'subscribed' as const }));
const SYNC: ExportGoal = {
  id: 'sync-churned',
  kind: 'export',
  segment: 'churned',
  audiences: ['news1'],
  identifier: 'email',
  mappings: [],
  removeNonSegmentMembers: { action: 'archive', maxRemovalShare: 1 },
};

const evidence = new Evidence();
let mongo: EmbeddedMongo;
let world: World;

beforeAll(async () => {
  mongo = await startEmbeddedMongo('reliability-brake');
  // Profiles exist, in other segments: only the synced segment is empty.
  world = await World.start(mongo, {
    database: 'brake',
    lists: [{ id: 'news1', name: 'Newsletter', members: MEMBERS }],
    profiles: MEMBERS.map((m, i) => profile(`p${i}`, m.email_address)),
    goals: [SYNC],
  });
});

afterAll(async () => {
  await world?.close();
  await mongo?.stop();
});

describe('removal brake: an empty segment removes no one', () => {
  const attempts: { force: boolean; dryRun: boolean }[] = [
    { force: false, dryRun: false },
    { force: true, dryRun: false },
    { force: false, dryRun: true },
  ];

  it.each(attempts)('refuses to remove the audience (force: $force, dry run: $dryRun)', async (options) => {
    const writesBefore = world.writeCalls();
    const report = await world.run(options);
    evidence.add('report', report);
    const [audience] = report.goals[0].audiences;
    expect(audience.removed).toBe(0);
    expect(audience.brake).toEqual({ wouldRemove: MEMBERS.length, audienceSize: MEMBERS.length, maxShare: 1 });
    if (!options.dryRun) {
      expect(report.goals[0].status).toBe('failed');
      expect(report.goals[0].error).toBe(`segment churned is empty: refusing to remove ${MEMBERS.length} members of audience news1`);
    }
    expect(world.writeCalls()).toBe(writesBefore);
    expect(world.members('news1').map((m) => m.status)).toEqual(MEMBERS.map(() => 'subscribed'));
  });

  it('leaks the API key nowhere', async () => {
    for (const line of world.logLines) evidence.add('log line', line);
    await collectStateDocuments(evidence, world.stores.db);
    evidence.expectNoSecret();
    recordFigures('brake', { audienceSize: MEMBERS.length, attempts: attempts.length, removed: 0 });
  });
});
