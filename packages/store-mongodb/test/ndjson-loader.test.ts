import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadProfilesFromNdjson } from '../src/ndjson-loader.js';
import { openMongoStores, type MongoStores } from '../src/open-stores.js';
import { startTestMongo, type TestMongo } from './support.js';

const line = (profile: object): string => JSON.stringify(profile);
const good = (id: string, extra: object = {}): string => line({ id, updatedAt: '2026-01-02T03:04:05.678Z', ...extra });

describe('loadProfilesFromNdjson', () => {
  let mongo: TestMongo;
  let stores: MongoStores;
  let folder: string;

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
    ].join('\n');

    const result = await loadProfilesFromNdjson(stores.profiles, Readable.from([input]), { batchSize: 2 });

    expect(result.loaded).toBe(3);
    expect(result.refused.map((refusal) => refusal.line)).toEqual([2, 3, 5, 6, 7, 8, 9, 11, 12]);
    const reasons = result.refused.map((refusal) => refusal.reason);
    expect(reasons[0]).toMatch(/^invalid JSON/);
    expect(reasons[1]).toBe('id must be a non-empty string');
    expect(reasons[2]).toBe('property email must be a list of strings, numbers or booleans');
    expect(reasons[3]).toMatch(/^updatedAt is not an ISO 8601 date/);
    expect(reasons[4]).toMatch(/^updatedAt is not an ISO 8601 date/);
    expect(reasons[5]).toMatch(/a\.b/);
    expect(reasons[6]).toBe('unknown field "segment"');
    expect(reasons[7]).toBe('updatedAt is missing');
    expect(reasons[8]).toBe('the line must be a JSON object');

    const [full, minimal] = await stores.profiles.findById(['full', 'minimal']).then((found) => found.sort((a, b) => a.id.localeCompare(b.id)));
    expect(full).toEqual({
      id: 'full',
      properties: { email: ['ada@example.com'], score: [4.5], vip: [true] },
      segments: ['newsletter'],
      lifecycles: [{ lifecycle: 'onboarding', stage: 'new' }],
      viewedInteractions: ['webinar'],
      permissionLevel: 'full',
      consent: { objectives: ['email'] },
      updatedAt: new Date('2026-01-02T03:04:05.678Z'),
      sourceVersions: { 'g:l:m': 'v1' },
    });
    expect(minimal).toEqual({
      id: 'minimal',
      properties: {},
      segments: [],
      lifecycles: [],
      viewedInteractions: [],
      consent: { objectives: [] },
      updatedAt: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect(await stores.profiles.findById(['broken', 'bad-values', 'typo', 'no-date'])).toEqual([]);
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

  it('fails plainly on a missing file and on a bad batch size', async () => {
    await expect(loadProfilesFromNdjson(stores.profiles, join(folder, 'absent.ndjson'))).rejects.toThrow(/ENOENT/);
    await expect(loadProfilesFromNdjson(stores.profiles, Readable.from(['']), { batchSize: 0 })).rejects.toThrow(RangeError);
  });
});
