import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TestClock } from '../../sdk/testing/test-clock.js';
import { loadProfilesFromNdjson, MAX_LINE_BYTES } from '../src/ndjson-loader.js';
import { openMongoStores, type MongoStores } from '../src/open-stores.js';
import { startTestMongo, type TestMongo } from './support.js';

const line = (profile: object): string => JSON.stringify(profile);
const good = (id: string, extra: object = {}): string => line({ id, updatedAt: '2026-01-02T03:04:05.678Z', ...extra });

describe('loadProfilesFromNdjson', () => {
  let mongo: TestMongo;
  let stores: MongoStores;
  let folder: string;
  const clock = new TestClock();

  beforeAll(async () => {
    mongo = await startTestMongo('ndjson');
    stores = await openMongoStores(mongo.server.uri, { database: mongo.database, uniqueIdentifiers: ['email'] });
    folder = await mkdtemp(join(tmpdir(), 'ndjson-'));
  });
  afterAll(async () => {
    await stores.close();
    await mongo.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('loads every good line in batches and refuses each bad one with its line number and reason', async () => {
    const input = [
      good('full', {
        properties: { email: ['ada@example.com'], score: [4.5], vip: [true] },
        segments: ['newsletter'],
        lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }],
        viewedInteractions: ['webinar'],
        permissionLevel: 'full',
        consent: { objectives: ['email'] },
        sourceVersions: { 'g:l:m': 'v1' },
      }),
      '{"id": "broken"',
      line({ updatedAt: '2026-01-02T00:00:00Z' }),
      '',
      good('bad-values', { properties: { email: 'not-a-list' } }),
      good('bad-date', { updatedAt: '2026-13-45T99:00:00Z' }),
      good('odd-date', { updatedAt: 'next tuesday' }),
      good('bad-name', { properties: { 'a.b': ['x'] } }),
      good('typo', { segment: ['newsletter'] }),
      good('minimal'),
      line({ id: 'no-date' }),
      '[1, 2]',
      good('late'),
      good('withdrawn', { consent: { objectives: ['email'], withdrawn: true } }),
    ].join('\n');

    const result = await loadProfilesFromNdjson(stores.profiles, Readable.from([input]), { batchSize: 2, clock });

    expect(result.loaded).toBe(4);
    expect(result.refused.map((refusal) => refusal.line)).toEqual([2, 3, 5, 6, 7, 8, 9, 12, 14]);
    const reasons = result.refused.map((refusal) => refusal.reason);
    expect(reasons[0]).toMatch(/^invalid JSON/);
    expect(reasons[1]).toBe('id must be a non-empty string');
    expect(reasons[2]).toBe('property email must be a list of strings, numbers or booleans');
    expect(reasons[3]).toMatch(/^updatedAt is not an ISO 8601 date/);
    expect(reasons[4]).toMatch(/^updatedAt is not an ISO 8601 date/);
    expect(reasons[5]).toMatch(/a\.b/);
    expect(reasons[6]).toBe('unknown field "segment"');
    expect(reasons[7]).toBe('the line must be a JSON object');
    expect(reasons[8]).toBe('unknown consent field "withdrawn": consent holds only "objectives"');

    const [full, minimal] = await stores.profiles.findById(['full', 'minimal']).then((found) => found.sort((a, b) => a.id.localeCompare(b.id)));
    expect(full).toEqual({
      id: 'full',
      properties: { email: ['ada@example.com'], score: [4.5], vip: [true] },
      segments: ['newsletter'],
      lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }],
      viewedInteractions: ['webinar'],
      permissionLevel: 'full',
      consent: { objectives: ['email'] },
      updatedAt: clock.now(),
      sourceVersions: { 'g:l:m': 'v1' },
    });
    expect(minimal).toEqual({
      id: 'minimal',
      properties: {},
      segments: [],
      lifecycles: [],
      viewedInteractions: [],
      consent: { objectives: [] },
      updatedAt: clock.now(),
    });
    expect(await stores.profiles.findById(['broken', 'bad-values', 'typo', 'withdrawn'])).toEqual([]);
    expect((await stores.profiles.findByIdentifier('email', ['ada@example.com'])).map((p) => p.id)).toEqual(['full']);
  });

  it('reads a file path, with CRLF line ends, and a later line replaces an earlier one', async () => {
    const path = join(folder, 'profiles.ndjson');
    const lines = Array.from({ length: 120 }, (_, i) => good(`file-${i}`, { segments: ['from-file'] }));
    lines.push(good('file-0', { segments: ['from-file', 'replaced'] }));
    await writeFile(path, `${lines.join('\r\n')}\r\n`);

    expect(await loadProfilesFromNdjson(stores.profiles, path, { batchSize: 50 })).toEqual({ loaded: 121, refused: [] });
    expect(await stores.profiles.count({ segment: 'from-file' })).toBe(120);
    expect((await stores.profiles.findById(['file-0']))[0].segments).toEqual(['from-file', 'replaced']);
  });

  it("stamps the load's time, or with changeTimes 'file' a line's own time when it is newer than the stored one", async () => {
    const at = (iso: string) => new Date(iso);
    await loadProfilesFromNdjson(stores.profiles, Readable.from([[good('t-old'), good('t-new')].join('\n')]), { clock });
    clock.advance(60_000);
    const lines = [
      good('t-old', { updatedAt: '2020-01-01T00:00:00Z' }),
      good('t-new', { updatedAt: '2030-01-01T00:00:00Z' }),
      good('t-fresh', { updatedAt: '2021-05-05T00:00:00Z' }),
      line({ id: 't-undated' }),
    ];
    await loadProfilesFromNdjson(stores.profiles, Readable.from([lines.join('\n')]), { clock, changeTimes: 'file' });
    const times = Object.fromEntries((await stores.profiles.findById(['t-old', 't-new', 't-fresh', 't-undated'])).map((p) => [p.id, p.updatedAt]));
    expect(times).toEqual({ 't-old': clock.now(), 't-new': at('2030-01-01T00:00:00Z'), 't-fresh': at('2021-05-05T00:00:00Z'), 't-undated': clock.now() });
  });

  it('refuses a line over the size limit with its number and loads the others', async () => {
    const huge = good('huge', { properties: { bio: ['x'.repeat(MAX_LINE_BYTES)] } });
    const result = await loadProfilesFromNdjson(stores.profiles, Readable.from([[good('before-huge'), huge, good('after-huge')].join('\n')]), { clock });
    expect(result).toEqual({ loaded: 2, refused: [{ line: 2, reason: 'the line is longer than 4 MB' }] });
  });

  it('fails plainly on a missing file and on a bad batch size', async () => {
    await expect(loadProfilesFromNdjson(stores.profiles, join(folder, 'absent.ndjson'))).rejects.toThrow(/ENOENT/);
    await expect(loadProfilesFromNdjson(stores.profiles, Readable.from(['']), { batchSize: 0 })).rejects.toThrow(RangeError);
  });
});
