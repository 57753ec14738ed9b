import { existsSync } from 'node:fs';
import { describe, expect, it, jest } from '@jest/globals';
import {
  assertValidConnection,
  type Catalog,
  type Connection,
  type Connector,
  InvalidConfigError,
  MAX_PROBLEMS,
  MAX_CONFIG_BYTES,
  parseConnectionJson,
  SCHEMAS_DIR,
  SchemaRegistry,
  readSchemas,
  validateConnection,
} from '@cdp/sdk';
import { FIXTURES, REPO_ROOT, fixtureCatalog, mailchimp, readJson } from './config-helpers.js';

const now = new Date('2026-03-01T12:00:00Z');
const options = { catalog: fixtureCatalog(), connectors: [mailchimp], now };

function minimal(): Connection {
  return readJson(`${FIXTURES}valid/minimal.json`) as Connection;
}

async function problemsOf(raw: unknown, opts = options): Promise<{ pointer: string; message: string }[]> {
  const result = await validateConnection(raw, opts);
  if (result.ok) throw new Error('the config was accepted');
  return result.problems;
}

describe('validateConnection', () => {
  it('applies the schema defaults to a copy and leaves the input untouched', async () => {
    const raw = minimal();
    const before = structuredClone(raw);
    const result = await validateConnection(raw, options);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const [importGoal, exportGoal] = result.connection.goals;
    expect(importGoal).toMatchObject({ enabled: true, statuses: ['subscribed'], audiences: [{ id: 'aud1', createProfiles: false }] });
    expect(exportGoal).toMatchObject({
      enabled: true,
      newMemberStatus: 'subscribed',
      createMissingMergeFields: false,
      batchSize: 500,
      mappings: [{ source: 'property', property: 'first_name', to: 'FNAME', separator: ', ' }],
    });
    expect(raw).toEqual(before);
  });

  it('applies defaults inside the schedule, the notification targets and the removal brake', async () => {
    const raw = {
      ...minimal(),
      schedule: { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 2 },
      notify: [{ type: 'webhook', url: 'https://hooks.example.com/x' }],
      goals: [minimal().goals[1]].map((goal) => ({ ...goal, removeNonSegmentMembers: {} })),
    };
    const connection = await assertValidConnection(raw, options);
    expect(connection.schedule).toEqual({ type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 2, start: '00:00' });
    expect(connection.notify).toEqual([{ type: 'webhook', url: 'https://hooks.example.com/x', on: 'failure' }]);
    expect(connection.goals[0]).toMatchObject({ removeNonSegmentMembers: { action: 'archive', maxRemovalShare: 0.2 } });
  });

  it('refuses a goal kind the connector does not support', async () => {
    const exportOnly = { ...mailchimp, id: 'export-only', goalKinds: ['export' as const] };
    const problems = await problemsOf({ ...minimal(), connector: 'export-only' }, { ...options, connectors: [exportOnly] });
    expect(problems).toEqual([
      { pointer: '/goals/0/kind', message: 'connector "export-only" does not support import goals (it supports: export)' },
    ]);
  });

  it('refuses huge arrays with one message each, quickly', async () => {
    const raw = minimal();
    raw.objectives = Array.from({ length: 100_000 }, (_, i) => `objective-${i}`);
    raw.goals[0].mappings = Array.from({ length: 20_000 }, (_, i) => ({ from: 'email_address', to: `p${i}`, mode: 'set' as const }));
    raw.labels = Array.from({ length: 100_000 }, () => 'same');
    const started = Date.now();
    const problems = await problemsOf(raw);
    expect(problems).toEqual([
      { pointer: '/labels', message: 'has too many items: 100000, at most 50' },
      { pointer: '/labels', message: expect.stringMatching(/^lists "same" twice \(items \d+ and \d+\)$/) },
      { pointer: '/objectives', message: 'has too many items: 100000, at most 50' },
      { pointer: '/goals/0/mappings', message: 'has too many items: 20000, at most 200' },
    ]);
    // A generous bound that only a quadratic check would break.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('lists at most MAX_PROBLEMS problems and counts the rest', async () => {
    const raw = minimal();
    raw.goals[0].mappings = Array.from({ length: 150 }, () => ({ from: 'email_address', to: 'x.y', mode: 'set' as const }));
    const problems = await problemsOf(raw);
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems.at(-1)).toEqual({ pointer: '', message: '… and 51 more problems' });
  });

  it('reads only declarations, never a connector session; the catalog is read even when the schema fails, so every problem shows at once', async () => {
    const connect = jest.fn<Connector['connect']>();
    const connector: Connector = { ...mailchimp, title: 'Mailchimp', connect };
    const catalog = fixtureCatalog();
    const reads = jest.spyOn(catalog, 'segments');
    const malformed = { ...minimal(), enabled: 'yes', objectives: ['unknown'] };
    const problems = await problemsOf(malformed, { catalog, connectors: [connector], now });
    expect(problems.map((problem) => problem.pointer)).toEqual(expect.arrayContaining(['/enabled', '/objectives/0']));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(connect).not.toHaveBeenCalled();
  });

  it('accepts a day missing from a month when it runs on the last day instead, and refuses it otherwise', async () => {
    const schedule = { type: 'daysOfMonth', timeZone: 'Europe/Amsterdam', days: [31], months: [4, 6], at: ['09:00'] };
    await expect(validateConnection({ ...minimal(), schedule: { ...schedule, whenDayMissing: 'lastDay' } }, options)).resolves.toMatchObject({ ok: true });
    expect(await problemsOf({ ...minimal(), schedule })).toEqual([
      { pointer: '/schedule', message: expect.stringContaining('never runs in the next 5 years') },
    ]);
  });

  it('reports problems from the schema and the connector auth schema together, each once', async () => {
    // The connection schema references the Mailchimp auth schema too: its problem must not come twice.
    const problems = await problemsOf({ ...minimal(), name: 42, auth: { apiKey: { env: 'KEY' }, region: 'eu' } });
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([
        { pointer: '/name', message: 'must be text (got 42)' },
        { pointer: '/auth', message: 'unknown property "region" (allowed: apiKey, baseUrl)' },
      ]),
    );
  });
});

describe('assertValidConnection', () => {
  it('throws an InvalidConfigError that lists every problem', async () => {
    const raw = { ...minimal(), objectives: ['newsletter', 'profiling'], connector: 'hubspot' };
    const error = await assertValidConnection(raw, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).code).toBe('invalid_config');
    expect((error as InvalidConfigError).problems.map((p) => p.pointer)).toEqual(['/connector', '/objectives/1']);
    expect((error as Error).message).toContain('/objectives/1: unknown objective "profiling"');
  });
});

describe('parseConnectionJson', () => {
  it('parses JSON, with or without a byte-order mark', () => {
    expect(parseConnectionJson('\uFEFF{"id": "a"}')).toEqual({ ok: true, value: { id: 'a' } });
  });

  it.each([
    ['{\n  "id": "a",\n  "name": "b"\n  "enabled": true\n}', 'line 4, column 3: expected \',\' or \'}\' after a property value'],
    ['{\n  "objectives": ["a",]\n}', 'line 2, column 22: a comma before "]" is not allowed'],
    ['{ "id": "a", }', 'line 1, column 14: a comma before "}" is not allowed'],
    ['{ id: "a" }', 'line 1, column 3: expected a property name in double quotes'],
    ['{ "name": "unclosed }', 'line 1, column 11: this text value has no closing double quote'],
    ['{ "enabled": yes }', 'line 1, column 14: expected a value: text in double quotes, a number, true, false, null, {…} or […]'],
    ['', 'line 1, column 1: the text ends where a value was expected'],
    ['{ "a": 1 } extra', 'line 1, column 12: unexpected text after the end of the JSON value'],
    ['{ "a": "tab\there" }', 'line 1, column 12: a line break or control character inside a text value (write it as \\n or \\t)'],
    ['{ "a": "\\x" }', 'line 1, column 9: an invalid escape after "\\"'],
    ['{ "a": "ok \\u12G4" }', 'line 1, column 12: an invalid escape after "\\"'],
    ['{\n  // a comment\n  "a": 1\n}', 'line 2, column 3: comments are not allowed in JSON'],
    ['{ "a": [1, 2', "line 1, column 13: the text ends inside a list: a ']' is missing"],
    ['{ "a": 1', "line 1, column 9: the text ends inside an object: a '}' is missing"],
    ['{ "a": 1. }', 'line 1, column 8: an invalid number (JSON numbers look like 12, -3.5 or 1e6)'],
    ['{ "a" 1 }', "line 1, column 7: expected ':' after the property name"],
    ['[1 2]', "line 1, column 4: expected ',' or ']' after a list item"],
  ])('locates the syntax error in %j', (text, where) => {
    expect(parseConnectionJson(text, 'newsletter.json')).toEqual({
      ok: false,
      problems: [{ pointer: '', message: `newsletter.json is not valid JSON: ${where}` }],
    });
  });

  it('refuses a key given twice in one object, at its pointer, wherever it is', () => {
    const text = '{ "objectives": ["analytics"], "goals": [{ "id": "a", "mappings": [{ "to": "X", "to": "Y" }] }], "objectives": ["newsletter"] }';
    expect(parseConnectionJson(text, 'c.json')).toEqual({
      ok: false,
      problems: [
        { pointer: '/goals/0/mappings/0/to', message: 'c.json gives this key twice: only one value may be given' },
        { pointer: '/objectives', message: 'c.json gives this key twice: only one value may be given' },
      ],
    });
    expect(parseConnectionJson('{ "a": { "x": 1 }, "b": { "x": 2 } }')).toMatchObject({ ok: true });
    // The same key written with an escape is the same key.
    expect(parseConnectionJson('{ "list": [{ "id": 1, "\\u0069d": 2 }] }')).toEqual({ ok: false, problems: [{ pointer: '/list/0/id', message: 'the config gives this key twice: only one value may be given' }] });
  });

  it('refuses a text over the size limit before parsing it', () => {
    const result = parseConnectionJson(`{ "name": "${'x'.repeat(MAX_CONFIG_BYTES)}" }`, 'huge.json');
    expect(result).toEqual({ ok: false, problems: [{ pointer: '', message: 'huge.json is larger than 4 MB; no connection is that large' }] });
  });

  it('refuses a text nested too deeply to read, without overflowing', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(parseConnectionJson(deep)).toMatchObject({ ok: false });
  });

  it('never quotes the text, which may hold a secret', () => {
    const result = parseConnectionJson('{ "auth": { "apiKey": abcdef0123456789-us21 } }');
    expect(JSON.stringify(result)).not.toContain('abcdef0123456789');
    expect(result).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining('line 1, column 23') }] });
  });
});

describe('SchemaRegistry', () => {
  it("finds the package's copy of the repository schemas from the module location", () => {
    expect(existsSync(`${SCHEMAS_DIR}connection.schema.json`)).toBe(true);
    expect(readSchemas()).toEqual(readSchemas(`${REPO_ROOT}schemas/`));
    expect(readSchemas().map((schema) => schema.$id)).toContain('https://cdp-connect.dev/schemas/connection.schema.json');
  });

  it('adds a schema once per $id and refuses a different schema under the same $id', () => {
    const registry = new SchemaRegistry(readSchemas());
    const schema = { $id: 'https://example.test/auth.json', type: 'object', required: ['token'], properties: { token: { type: 'string' } } };
    expect(registry.add(schema)).toBe('https://example.test/auth.json');
    expect(registry.add(structuredClone(schema))).toBe('https://example.test/auth.json');
    expect(() => registry.add({ ...schema, required: [] })).toThrow('Two different schemas share the $id https://example.test/auth.json');
    expect(() => registry.add({ type: 'object' })).toThrow('needs an absolute $id');
    expect(registry.validate('https://example.test/auth.json', {}).errors).toHaveLength(1);
  });

  it('validates a copy, so defaults never change the caller\'s object', () => {
    const registry = new SchemaRegistry(readSchemas());
    const goal = { audiences: [{ id: 'a' }] };
    const { value } = registry.validate('https://cdp-connect.dev/schemas/import-goal.schema.json', goal);
    expect(value).toMatchObject({ enabled: true, statuses: ['subscribed'], audiences: [{ id: 'a', createProfiles: false }] });
    expect(goal).toEqual({ audiences: [{ id: 'a' }] });
  });
});

describe('catalog port use', () => {
  it('reads each catalog list once per validation', async () => {
    const base = fixtureCatalog();
    const calls: string[] = [];
    const catalog: Catalog = {
      segments: () => (calls.push('segments'), base.segments()),
      properties: () => (calls.push('properties'), base.properties()),
      objectives: () => (calls.push('objectives'), base.objectives()),
      lifecycles: () => (calls.push('lifecycles'), base.lifecycles()),
    };
    await assertValidConnection(minimal(), { ...options, catalog });
    expect(calls.sort()).toEqual(['lifecycles', 'objectives', 'properties', 'segments']);
  });
});
