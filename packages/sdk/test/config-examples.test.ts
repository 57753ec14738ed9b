import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { type CatalogData, type Profile, StaticCatalog, assertValidConnection, nextRuns } from '@cdp/sdk';
import { REPO_ROOT, mailchimp, readJson } from './config-helpers.js';

const EXAMPLES = `${REPO_ROOT}examples/`;
const catalogData = readJson(`${EXAMPLES}catalog.json`) as Required<CatalogData>;
const profilesText = readFileSync(`${EXAMPLES}profiles.ndjson`, 'utf8');

function toProfile(line: string): Profile {
  const raw = JSON.parse(line) as Omit<Profile, 'updatedAt'> & { updatedAt: string };
  return { ...raw, updatedAt: new Date(raw.updatedAt) };
}

describe('examples/newsletter.connection.json', () => {
  it('is valid against the example catalog, with the goals the example promises', async () => {
    const connection = await assertValidConnection(readJson(`${EXAMPLES}newsletter.connection.json`), {
      catalog: new StaticCatalog(catalogData),
      connectors: [mailchimp],
    });
    expect(connection).toMatchObject({ connector: 'mailchimp', objectives: ['newsletter'], auth: { apiKey: { env: 'MAILCHIMP_API_KEY' } } });
    const [importGoal, exportGoal] = connection.goals;
    if (importGoal.kind !== 'import' || exportGoal.kind !== 'export') throw new Error('expected one import then one export goal');
    expect(importGoal.audiences).toEqual([{ id: 'newsletter1', createProfiles: true }]);
    expect(importGoal.saveAudiencesTo).toBe('mailchimp_audiences');
    expect(importGoal.mappings.map((m) => m.mode)).toContain('sum');
    expect(exportGoal).toMatchObject({ segment: 'newsletter-subscribers', audiences: ['newsletter1'] });
    expect(exportGoal.mappings.map((m) => m.to)).toEqual(['FNAME', 'LNAME', 'CITY', 'SEGMENTS', 'CDPID']);
    expect(exportGoal.segmentTags).toHaveLength(2);
  });

  it('runs on its weekdays at its local times in Amsterdam', () => {
    const { schedule } = readJson(`${EXAMPLES}newsletter.connection.json`) as { schedule: Parameters<typeof nextRuns>[0] };
    const runs = nextRuns(schedule, new Date('2026-03-27T12:00:00Z'), 3);
    // Friday 18:00 is still winter time (UTC+1); Monday 30 March is summer time (UTC+2).
    expect(runs.map((run) => run.toISOString())).toEqual(['2026-03-27T17:00:00.000Z', '2026-03-30T04:30:00.000Z', '2026-03-30T16:00:00.000Z']);
  });
});

describe('examples/profiles.ndjson', () => {
  const profiles = profilesText.trimEnd().split('\n').map(toProfile);
  const count = (test: (profile: Profile) => boolean): number => profiles.filter(test).length;

  it('holds about 300 profiles in the Profile shape, naming only what the catalog defines', () => {
    expect(profiles.length).toBe(300);
    const properties = new Set(catalogData.properties.map((p) => p.name));
    const stages = new Set(catalogData.lifecycles.flatMap((l) => l.stages.map((s) => `${l.id}:${s.id}`)));
    for (const profile of profiles) {
      expect(Number.isNaN(profile.updatedAt.getTime())).toBe(false);
      expect(Object.keys(profile.properties).filter((name) => !properties.has(name))).toEqual([]);
      expect(profile.segments.filter((s) => !catalogData.segments.includes(s))).toEqual([]);
      expect(profile.lifecycles.filter((l) => !stages.has(`${l.lifecycle}:${l.stage}`))).toEqual([]);
      expect(profile.consent.objectives.filter((o) => !catalogData.objectives.includes(o))).toEqual([]);
    }
    expect(new Set(profiles.map((p) => p.id)).size).toBe(profiles.length);
  });

  it('mixes the cases a run has to handle', () => {
    expect(count((p) => p.consent.objectives.length === 0)).toBeGreaterThan(10);
    expect(count((p) => !p.consent.objectives.includes('newsletter') && p.consent.objectives.length > 0)).toBeGreaterThan(5);
    expect(count((p) => p.properties.email === undefined)).toBeGreaterThan(10);
    expect(count((p) => !p.segments.includes('newsletter-subscribers'))).toBeGreaterThan(30);
    expect(count((p) => String(p.properties.email?.[0] ?? '') !== String(p.properties.email?.[0] ?? '').trim().toLowerCase())).toBeGreaterThan(3);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'cdp-profiles-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is exactly what examples/generate-profiles.mjs writes', () => {
    const output = join(scratch, 'profiles.ndjson');
    execFileSync(process.execPath, [`${EXAMPLES}generate-profiles.mjs`, output]);
    expect(readFileSync(output, 'utf8')).toBe(profilesText);
  });
});
