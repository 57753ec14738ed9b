import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SeedList } from '@cdp/mailchimp-sandbox';
import type { Connection, Profile } from '@cdp/sdk';
import { loadProfilesFromNdjson, openMongoStores, startEmbeddedMongo, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { collectStateDocuments, Evidence } from './support/evidence.js';
import { recordFigures } from './support/figures.js';
import { Stack } from './support/stack.js';

// Bad data is skipped record by record, with a reason, and the rest goes through.

const evidence = new Evidence();
let mongo: EmbeddedMongo;
let stores: MongoStores;
const figures: Record<string, number> = {};

beforeAll(async () => {
  mongo = await startEmbeddedMongo('reliability-bad-data');
  stores = await openMongoStores(mongo.uri, { database: 'bad_data', uniqueIdentifiers: ['email'] });
});

afterAll(async () => {
  await stores?.close();
  await mongo?.stop();
  recordFigures('bad-data', figures);
});

const AT = '"updatedAt":"2026-01-01T00:00:00Z"';
const UNICODE = 'Zoë 👩‍👩‍👧 עברית e\u0301 \u200b\u{1F600}';
const THREE_KB = 'x'.repeat(3 * 1024);

describe('bad input: NDJSON profile lines', () => {
  const lines: { text: string; refusal?: string }[] = [
    { text: `{"id":"n1",${AT},"properties":{"email":["n1@example.com"]},"segments":["newsletter"],"consent":{"objectives":["newsletter"]}}` },
    { text: '{not json', refusal: 'invalid JSON' },
    { text: '[]', refusal: 'the line must be a JSON object' },
    { text: `{${AT},"properties":{}}`, refusal: 'id must be a non-empty string' },
    { text: '{"id":"n2","updatedAt":"yesterday"}', refusal: 'updatedAt is not an ISO 8601 date: "yesterday"' },
    { text: `{"id":"n3",${AT},"properties":{"$where":["sleep(1000)"]}}`, refusal: `property name "$where" is not usable as a field name` },
    { text: `{"id":"n4",${AT},"properties":{"a.b":["x"]}}`, refusal: `property name "a.b" is not usable as a field name` },
    { text: `{"id":"n5",${AT},"properties":{"email":[{"$gt":""}]}}`, refusal: 'property email must be a list of strings, numbers or booleans' },
    { text: `{"id":"n6",${AT},"isAdmin":true}`, refusal: 'unknown field "isAdmin"' },
    { text: `{"id":"n7",${AT},"consent":{"objectives":"newsletter"}}`, refusal: 'consent.objectives must be a list of strings' },
    { text: `{"id":"n8",${AT},"properties":{"score":[1e999]}}`, refusal: 'property score must be a list of strings, numbers or booleans' },
    { text: '   ' },
    { text: `{"id":"n9",${AT},"properties":{"email":["n9@example.com"],"firstName":[${JSON.stringify(UNICODE)}],"bio":["${THREE_KB}"]}}` },
    { text: `{"id":"n10",${AT},"properties":{"__proto__":["stays data"]}}` },
  ];

  it('loads every good line, refuses each bad one with its line number and reason', async () => {
    const result = await loadProfilesFromNdjson(stores.profiles, Readable.from(lines.map((line) => `${line.text}\n`).join('')));
    const expected = lines.flatMap((line, index) => (line.refusal ? [{ line: index + 1, reason: expect.stringContaining(line.refusal) }] : []));
    expect(result.refused).toEqual(expected);
    expect(result.loaded).toBe(3);
    figures.ndjsonLines = lines.length;
    figures.ndjsonRefused = result.refused.length;
  });

  it('stores the good lines exactly: unicode, 3 KB values, a __proto__ property as plain data', async () => {
    const [n9] = await stores.profiles.findById(['n9']);
    expect(n9.properties.firstName).toEqual([UNICODE]);
    expect(n9.properties.bio).toEqual([THREE_KB]);
    const [n10] = await stores.profiles.findById(['n10']);
    expect(Object.hasOwn(n10.properties, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(n10.properties, '__proto__')?.value).toEqual(['stays data']);
    expect(({} as Record<string, unknown>)[0]).toBeUndefined();
    expect(await stores.profiles.findById(['n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'])).toEqual([]);
  });
});

const FIELDS: SeedList['merge_fields'] = [
  { tag: 'FNAME', name: 'First name', type: 'text' },
  { tag: 'BIO', name: 'Bio', type: 'text' },
  { tag: 'SCORE', name: 'Score', type: 'number' },
  { tag: 'POINTS', name: 'Points', type: 'text' },
];

describe('bad input: member data', () => {
  let stack: Stack;

  beforeAll(async () => {
    const member = (email_address: string, merge_fields: Record<string, unknown>) => ({ email_address, status: 'subscribed' as const, merge_fields, last_changed: '2026-02-01T10:00:00+00:00' });
    stack = await Stack.start({
      lists: [
        { id: 'dst', name: 'Export target', merge_fields: FIELDS },
        {
          id: 'src',
          name: 'Import source',
          merge_fields: FIELDS,
          members: [
            member('good@example.com', { FNAME: 'Good', POINTS: '5' }),
            member('nan@example.com', { FNAME: 'Nan', POINTS: 'abc' }),
            member('inf@example.com', { FNAME: 'Inf', POINTS: 'Infinity' }),
            member('uni@example.com', { FNAME: UNICODE, POINTS: '2' }),
            member('long@example.com', { FNAME: 'Long', BIO: THREE_KB, POINTS: '1' }),
            member('not-an-email', { FNAME: 'Broken', POINTS: '1' }),
            member('two@@example.com', { FNAME: 'Broken', POINTS: '1' }),
          ],
        },
      ],
      goals: [],
      profiles: stores.profiles,
      state: stores.state,
      evidence,
    });
  });

  afterAll(async () => {
    await collectStateDocuments(evidence, stores.db);
    await stack?.close();
  });

  it('export: invalid emails skipped, long values truncated and counted, a value Mailchimp refuses fails that member only', async () => {
    const profiles: Profile[] = [
      profile('e-good', 'e-good@example.com', { properties: { email: ['e-good@example.com'], firstName: [UNICODE], score: [3] } }),
      profile('e-long', 'e-long@example.com', { properties: { email: ['e-long@example.com'], bio: [THREE_KB], firstName: ['🙂'.repeat(300)] } }),
      profile('e-nan', 'e-nan@example.com', { properties: { email: ['e-nan@example.com'], score: ['abc'] } }),
      profile('e-bad1', 'not-an-email'),
      profile('e-bad2', '<script>@example.com'),
      profile('e-bad3', 'a@b'),
      profile('e-blank', '   '),
    ];
    await stores.profiles.upsertProfiles(profiles);
    const goals: Connection['goals'] = [
      {
        id: 'export',
        kind: 'export',
        segment: 'newsletter',
        audiences: ['dst'],
        identifier: 'email',
        mappings: [
          { source: 'property', property: 'firstName', to: 'FNAME' },
          { source: 'property', property: 'bio', to: 'BIO' },
          { source: 'property', property: 'score', to: 'SCORE' },
        ],
      },
    ];
    stack.setGoals(goals);
    const report = await stack.run();
    const audience = report.goals[0].audiences[0];
    expect(report.goals[0].status).toBe('succeeded');
    expect(audience.skipped).toEqual({ invalidIdentifier: 3, noIdentifier: 1 });
    // e-good, e-long and n1 (loaded from NDJSON above) are created.
    expect(audience.created).toBe(3);
    // e-long's bio and its first name (300 emoji) are both cut to 255 characters.
    expect(audience.truncated).toBe(2);
    expect(audience.failed).toBe(1);
    expect(audience.failures).toEqual([{ record: 'e-nan@example.com', reason: 'Your merge fields were invalid. (SCORE: Please enter a number)' }]);
    const members = stack.members('dst');
    expect(members.find((m) => m.email_address === 'e-good@example.com')?.merge_fields.FNAME).toBe(UNICODE);
    const long = members.find((m) => m.email_address === 'e-long@example.com')!;
    // The engine cuts to 255 characters; Mailchimp then keeps 255 bytes of UTF-8, never half a character.
    expect(long.merge_fields.FNAME).toBe('🙂'.repeat(63));
    expect(long.merge_fields.BIO).toBe('x'.repeat(255));
    figures.exportRecords = profiles.length;
    figures.exportSkippedOrFailed = audience.failed + Object.values(audience.skipped).reduce((a, b) => a + (b ?? 0), 0);
  });

  it('import: invalid emails and non-numeric sums skipped with a reason, the rest of the record and the run go on', async () => {
    stack.setGoals([
      {
        id: 'import',
        kind: 'import',
        audiences: [{ id: 'src', createProfiles: true }],
        grantedObjectives: { subscribed: ['newsletter'] },
        identifier: 'email',
        mappings: [
          { from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' },
          { from: 'merge_fields.BIO', to: 'bio', mode: 'set' },
          { from: 'merge_fields.POINTS', to: 'score', mode: 'sum' },
        ],
      },
    ]);
    const report = await stack.run();
    const audience = report.goals[0].audiences[0];
    expect(report.goals[0].status).toBe('succeeded');
    expect(audience.skipped).toEqual({ invalidIdentifier: 2, invalidValue: 2 });
    expect(audience.failures).toEqual([
      { record: 'nan@example.com', reason: 'score: not a number: "abc" (from merge_fields.POINTS)' },
      { record: 'inf@example.com', reason: 'score: not a number: "Infinity" (from merge_fields.POINTS)' },
    ]);
    expect(audience.created).toBe(5);
    const byEmail = async (email: string) => (await stores.profiles.findByIdentifier('email', [email]))[0];
    expect((await byEmail('nan@example.com')).properties).toMatchObject({ firstName: ['Nan'] });
    expect((await byEmail('nan@example.com')).properties.score).toBeUndefined();
    expect((await byEmail('good@example.com')).properties.score).toEqual([5]);
    expect((await byEmail('uni@example.com')).properties.firstName).toEqual([UNICODE]);
    figures.importRecords = 7;
    figures.importSkipped = Object.values(audience.skipped).reduce((a, b) => a + (b ?? 0), 0);
  });

  it('leaks the API key nowhere', () => {
    evidence.expectNoSecret();
  });
});
