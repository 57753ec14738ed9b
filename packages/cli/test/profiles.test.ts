import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openMongoStores, type MongoStores } from '@cdp/store-mongodb';
import { assertBuilt, childEnv, EXAMPLES, runCdp, startCdp, type RunningCdp } from './support/cli-process.js';

const CATALOG = `${EXAMPLES}catalog.json`;
const URI = /listening on (mongodb:\/\/\S+)/;

let db: RunningCdp;
let uri: string;
let stores: MongoStores;
let folder: string;

/** `cdp profiles load` on the server `cdp db start` started. */
const load = (args: string[]) => runCdp(['--catalog', CATALOG, 'profiles', 'load', ...args], childEnv({ MONGODB_URI: uri }));

beforeAll(async () => {
  assertBuilt();
  folder = await mkdtemp(join(tmpdir(), 'cdp-profiles-'));
  db = await startCdp(['db', 'start', '--database', 'loaded'], childEnv({ MONGODB_URI: undefined }), URI);
  uri = URI.exec(db.stdout())![1];
  stores = await openMongoStores(uri, { database: 'loaded', uniqueIdentifiers: ['email', 'customer_id'] });
});

afterAll(async () => {
  // Only if a test failed before the last one stopped them.
  await stores?.close();
  db?.child.kill('SIGTERM');
  await rm(folder, { recursive: true, force: true });
});

describe('cdp db start', () => {
  it('prints the URI of the embedded server (which the stores above connected to)', () => {
    expect(uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/loaded$/);
    expect(db.stdout()).toContain(`export MONGODB_URI=${uri}`);
  });
});

describe('cdp profiles load', () => {
  it('loads NDJSON with a progress line and a summary', async () => {
    const result = await load([`${EXAMPLES}profiles.ndjson`]);
    expect(result).toMatchObject({ code: 0, stdout: `${EXAMPLES}profiles.ndjson: 300 profiles loaded, 0 lines refused\n` });
    // Not a terminal: a timestamped line every two seconds while loading, so none for a file this small on most machines.
    for (const line of result.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z .*profiles loaded, \d+ lines refused so far$/);
    expect(await stores.profiles.findById(['profile-0001'])).toEqual([expect.objectContaining({ properties: expect.objectContaining({ first_name: ['Søren'] }) })]);
  });

  it('loads CSV, a header row naming the properties, and lists the refused lines with their numbers (exit 5)', async () => {
    const file = join(folder, 'people.csv');
    await writeFile(file, ['id,email,first_name,city', 'csv-1,ada@example.com,Ada,"Paris, FR"', 'csv-2,bob@example.com,Bob', ',cy@example.com,Cy,Rome', 'csv-4,di@example.com,,Oslo', ''].join('\n'));
    const result = await load([file]);
    expect(result.code).toBe(5);
    expect(result.stdout).toBe(`${file}: 2 profiles loaded, 2 lines refused\n  line 3: 3 fields, but the header has 4\n  line 4: id must be a non-empty string\n`);
    const [ada, di] = await stores.profiles.findById(['csv-1', 'csv-4']);
    expect(ada.properties).toEqual({ email: ['ada@example.com'], first_name: ['Ada'], city: ['Paris, FR'] });
    expect(di.properties).toEqual({ email: ['di@example.com'], city: ['Oslo'] });
  });

  it('refuses a CSV without an id column, a file whose format it cannot tell and a missing file, loading nothing (exit 2)', async () => {
    const file = join(folder, 'no-id.csv');
    await writeFile(file, 'email\nx@example.com\n');
    expect(await load([file])).toMatchObject({ code: 2, stderr: expect.stringContaining('the header row needs an "id" column') });
    expect(await load([join(folder, 'people.txt')])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format ndjson or --format csv') });
    expect(await load([join(folder, 'missing.csv')])).toMatchObject({ code: 2, stderr: expect.stringContaining(`Cannot read the profile file ${folder}/missing.csv: no such file`) });
    expect(await stores.profiles.count()).toBe(302);
  });
});

describe('cdp db start, once the loads are done', () => {
  it('stops with exit 0 on Ctrl-C', async () => {
    await stores.close();
    db.child.kill('SIGINT');
    expect((await db.exited).code).toBe(0);
  });
});
