import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CdpError, InvalidConfigError, type Connection, type ExportGoal, type Profile, type SqlSource } from '@cdp/sdk';
import { sqlProfileSources, type OpenSources } from '../src/index.js';
import type pg from 'pg';
import { startTestPostgres, type TestPostgres } from '../../store-postgres/test/support.js';

const SECRET_ENV = 'CDP_SECRET_CRM_URL';

function goal(source: Partial<SqlSource> & Pick<SqlSource, 'columns'>, overrides: Partial<ExportGoal> = {}): ExportGoal {
  return {
    id: 'crm-newsletter',
    kind: 'export',
    segment: 'newsletter',
    audiences: ['news1'],
    identifier: 'email',
    mappings: [],
    source: { database: 'crm', table: 'customers', consent: { column: 'opt_in', objectives: ['newsletter'] }, ...source },
    ...overrides,
  };
}

const COLUMNS: SqlSource['columns'] = {
  id: 'id',
  email: 'email',
  updatedAt: 'updated_at',
  segments: 'segments',
  properties: { firstName: 'first_name', score: 'score', vip: 'vip', tags: 'tags', signedUp: 'signed_up', big: 'big' },
};

function connection(goals: ExportGoal[]): Connection {
  return {
    id: 'crm',
    name: 'CRM',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: {},
    databases: { crm: { engine: 'postgresql', url: { env: SECRET_ENV } } },
    goals,
  };
}

async function* nothing(): AsyncIterable<Profile[]> {}

async function all(stream: AsyncIterable<Profile[]>): Promise<Profile[][]> {
  const batches: Profile[][] = [];
  for await (const batch of stream) batches.push(batch);
  return batches;
}

describe('SQL profile source on PostgreSQL', () => {
  let postgres: TestPostgres;
  /** The test database as its owner sees it (to create and change the rows a source reads), and its URL. */
  let db: { url: string; sql(text: string, values?: unknown[]): Promise<pg.QueryResult> };
  const opened: OpenSources[] = [];

  /** Opens and checks the sources of these goals against the test database (the URL read as a secret). */
  async function open(goals: ExportGoal[], url = db.url): Promise<OpenSources> {
    const sources = await sqlProfileSources().open(connection(goals), goals, (ref) => {
      if (ref.env !== SECRET_ENV) throw new Error(`unexpected secret ${ref.env}`);
      return url;
    });
    opened.push(sources);
    return sources;
  }

  async function sourceOf(g: ExportGoal) {
    return (await open([g])).profilesFor(g)!;
  }

  async function refusal(goals: ExportGoal[], url?: string): Promise<InvalidConfigError> {
    const error = await open(goals, url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }

  beforeAll(async () => {
    postgres = await startTestPostgres('source_sql');
    const owner = postgres.connect({ max: 2 });
    db = { url: postgres.url, sql: (text, values) => owner.query(text, values) };
  });
  afterAll(async () => {
    await Promise.all(opened.map((sources) => sources.close()));
    await postgres?.stop();
  });
  beforeEach(async () => {
    await db.sql(`DROP TABLE IF EXISTS customers; DROP TABLE IF EXISTS naive`);
    await db.sql(`CREATE TABLE customers (
      id integer PRIMARY KEY, email text, first_name varchar(50), score numeric, vip boolean, tags text[], signed_up date,
      big bigint, country text, opt_in boolean, consents text[], segments text[], in_news boolean, payload jsonb, updated_at timestamptz NOT NULL)`);
    await db.sql(`INSERT INTO customers VALUES
      (1, 'Ada@Example.com ', 'Ada', 12.5, true, '{a,b}', '2024-03-01', 9007199254740993, 'FR', true, '{newsletter}', '{newsletter,vip}', true, '{}', '2026-01-01T10:00:00Z'),
      (2, 'bob@example.com', 'Bob', 3, false, '{}', NULL, 7, 'DE', false, '{}', '{newsletter}', true, NULL, '2026-01-02T10:00:00Z'),
      (3, 'cy@example.com', NULL, NULL, NULL, NULL, NULL, NULL, 'FR', true, '{newsletter,analytics}', '{vip}', false, NULL, '2026-01-03T10:00:00Z'),
      (4, NULL, 'Dee', 40, true, '{c}', NULL, NULL, 'FR', true, '{}', '{newsletter}', true, NULL, '2026-01-04T10:00:00Z'),
      (5, 'eve@example.com', 'Eve', 20, false, '{}', NULL, NULL, 'ES', true, '{}', '{newsletter}', true, NULL, '2026-01-05T10:00:00Z')`);
  });

  it('reads rows as profiles: id, email under the identifier, properties, consent, segments', async () => {
    const source = await sourceOf(goal({ columns: COLUMNS }));
    const [ada] = await source.findById(['1']);
    expect(ada).toEqual({
      id: '1',
      properties: { email: ['Ada@Example.com '], firstName: ['Ada'], score: [12.5], vip: [true], tags: ['a', 'b'], signedUp: ['2024-03-01'], big: ['9007199254740993'] },
      segments: ['newsletter', 'vip'],
      lifecycles: [],
      viewedInteractions: [],
      consent: { objectives: ['newsletter'] },
      updatedAt: new Date('2026-01-01T10:00:00Z'),
    });
    // Not in the segment (its segments column lacks it), no consent (opt_in false), no email: all read as they are.
    const [bob, cy, dee] = await source.findById(['2', '3', '4']);
    expect(bob.consent.objectives).toEqual([]);
    expect(bob.properties.big).toEqual([7]);
    expect(cy.segments).toEqual(['vip']);
    expect(dee.properties.email).toEqual([]);
    expect(await source.findById(['99', 'not-a-number'])).toEqual([]);
  });

  it('streams the segment in pages ordered by id, each row once', async () => {
    const source = await sourceOf(goal({ columns: COLUMNS }));
    const batches = await all(source.streamSegment({ segment: 'newsletter', batchSize: 2 }));
    expect(batches.map((batch) => batch.map((p) => p.id))).toEqual([['1', '2'], ['4', '5']]);
    expect(await source.count({ segment: 'newsletter' })).toBe(4);
    expect(await source.count()).toBe(5);
    expect(await all(source.streamSegment({ segment: 'another' }))).toEqual(await all(nothing()));
  });

  it('takes segment membership from a boolean column, and consent from a column of objective names', async () => {
    const source = await sourceOf(goal({ columns: { ...COLUMNS, segments: 'in_news' }, consent: { column: 'consents' } }));
    const ids = (await all(source.streamSegment({ segment: 'newsletter' }))).flat().map((p) => p.id);
    expect(ids).toEqual(['1', '2', '4', '5']);
    const [ada, cy] = await source.findById(['1', '3']);
    expect(ada.segments).toEqual(['newsletter']);
    expect(cy.segments).toEqual([]);
    expect(cy.consent.objectives).toEqual(['newsletter', 'analytics']);
  });

  it('applies rules: every rule must hold for a row to be in the segment', async () => {
    const source = await sourceOf(
      goal({
        columns: { id: 'id', email: 'email' },
        rules: [
          { column: 'country', op: 'in', value: ['FR', 'ES'] },
          { column: 'score', op: 'gte', value: 12 },
          { column: 'tags', op: 'notContains', value: 'c' },
          { column: 'email', op: 'isNotNull' },
        ],
      }),
    );
    expect((await all(source.streamSegment({ segment: 'newsletter' }))).flat().map((p) => p.id)).toEqual(['1', '5']);
    const [dee] = await source.findById(['4']);
    expect(dee.segments).toEqual([]);
    const text = await sourceOf(goal({ columns: { id: 'id', email: 'email' }, rules: [{ column: 'email', op: 'contains', value: '@example.com' }, { column: 'first_name', op: 'startsWith', value: 'E' }] }));
    expect((await all(text.streamSegment({ segment: 'newsletter' }))).flat().map((p) => p.id)).toEqual(['5']);
    const negated = await sourceOf(goal({ columns: { id: 'id', email: 'email' }, rules: [{ column: 'country', op: 'ne', value: 'FR' }, { column: 'vip', op: 'eq', value: false }] }));
    expect((await all(negated.streamSegment({ segment: 'newsletter' }))).flat().map((p) => p.id)).toEqual(['2', '5']);
  });

  it('reads a delta by the changed-at column, with the overlap, and everything without one', async () => {
    const source = await sourceOf(goal({ columns: COLUMNS, overlapSeconds: 3600 }));
    // Since 02 Jan 10:30, less one hour of overlap: rows 2 (10:00 on the 2nd), 4 and 5; row 3 is out of the segment.
    const changed = (await all(source.streamSegment({ segment: 'newsletter', changedSince: new Date('2026-01-02T10:30:00Z') }))).flat();
    expect(changed.map((p) => p.id)).toEqual(['2', '4', '5']);
    const noOverlap = await sourceOf(goal({ columns: COLUMNS, overlapSeconds: 0 }));
    expect((await all(noOverlap.streamSegment({ segment: 'newsletter', changedSince: new Date('2026-01-02T10:30:00Z') }))).flat().map((p) => p.id)).toEqual(['4', '5']);
    const noColumn = await sourceOf(goal({ columns: { ...COLUMNS, updatedAt: undefined } }));
    expect((await all(noColumn.streamSegment({ segment: 'newsletter', changedSince: new Date('2030-01-01T00:00:00Z') }))).flat()).toHaveLength(4);
  });

  it('reads a timestamp without time zone as UTC', async () => {
    await db.sql(`CREATE TABLE naive (id text, email text, ok boolean, changed timestamp)`);
    await db.sql(`INSERT INTO naive VALUES ('a', 'a@example.com', true, '2026-01-01 10:00:00'), ('b', 'b@example.com', true, '2026-01-01 12:00:00')`);
    const source = await sourceOf(goal({ table: 'naive', columns: { id: 'id', email: 'email', updatedAt: 'changed' }, consent: { column: 'ok', objectives: ['newsletter'] }, overlapSeconds: 0 }));
    const rows = (await all(source.streamSegment({ segment: 'newsletter', changedSince: new Date('2026-01-01T11:00:00Z') }))).flat();
    expect(rows.map((p) => [p.id, p.updatedAt.toISOString()])).toEqual([['b', '2026-01-01T12:00:00.000Z']]);
  });

  it('shows rows that changed or went away: a row deleted is a profile no longer found, one moved out keeps its id', async () => {
    const source = await sourceOf(goal({ columns: COLUMNS }));
    await db.sql(`DELETE FROM customers WHERE id = 2`);
    await db.sql(`UPDATE customers SET segments = '{}', updated_at = now() WHERE id = 5`);
    expect((await source.findById(['1', '2', '5'])).map((p) => [p.id, p.segments])).toEqual([
      ['1', ['newsletter', 'vip']],
      ['5', []],
    ]);
    expect((await all(source.streamSegment({ segment: 'newsletter' }))).flat().map((p) => p.id)).toEqual(['1', '4']);
  });

  it('finds rows by email as an identifier key (trimmed, any case), only for the goal identifier', async () => {
    const source = await sourceOf(goal({ columns: COLUMNS }));
    expect((await source.findByIdentifier('email', ['ada@example.com', 'BOB@example.com'])).map((p) => p.id).sort()).toEqual(['1', '2']);
    expect(await source.findByIdentifier('firstName', ['Ada'])).toEqual([]);
  });

  it('reads a custom query in a read-only transaction: a query that writes is refused and writes nothing', async () => {
    const query = `SELECT c.id AS customer_id, lower(c.email) AS mail, c.opt_in, c.updated_at FROM customers c WHERE c.country = 'FR';`;
    const source = await sourceOf(goal({ table: undefined, query, columns: { id: 'customer_id', email: 'mail', updatedAt: 'updated_at' } }));
    expect((await all(source.streamSegment({ segment: 'newsletter' }))).flat().map((p) => [p.id, p.properties.email])).toEqual([
      ['1', ['ada@example.com ']],
      ['3', ['cy@example.com']],
      ['4', []],
    ]);
    // Read as a subquery, a query cannot hold a data-modifying statement…
    const writing = `WITH gone AS (DELETE FROM customers RETURNING id, email, opt_in) SELECT * FROM gone`;
    const refused = await refusal([goal({ table: undefined, query: writing, columns: { id: 'id', email: 'email' } })]);
    expect(refused.problems).toEqual([{ pointer: '/goals/0/source/query', message: expect.stringMatching(/^goal "crm-newsletter": the query cannot be read: WITH clause containing a data-modifying/) }]);
    // …and in a read-only transaction, neither can a function it calls.
    await db.sql(`CREATE OR REPLACE FUNCTION purge() RETURNS bigint AS $$ WITH gone AS (DELETE FROM customers RETURNING 1) SELECT count(*) FROM gone $$ LANGUAGE sql`);
    const sneaky = await sourceOf(goal({ table: undefined, query: 'SELECT id, email, opt_in, purge() AS n FROM customers', columns: { id: 'id', email: 'email' } }));
    await expect(all(sneaky.streamSegment({ segment: 'newsletter' }))).rejects.toThrow(/^goal "crm-newsletter": reading the query failed: cannot execute \w+ in a read-only transaction/);
    expect((await db.sql('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(5);
    expect((await db.sql('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(5);
    await expect(source.applyPatches([])).rejects.toThrow(/read only/);
    await expect(source.upsertProfiles([])).rejects.toThrow(/read only/);
  });

  it('refuses bad SQL, a missing table or column, and a wrong type, naming the goal and the column', async () => {
    const bad = await refusal([goal({ table: undefined, query: 'SELECT id, email FORM customers', columns: { id: 'id', email: 'email' } })]);
    expect(bad.problems).toEqual([{ pointer: '/goals/0/source/query', message: expect.stringMatching(/^goal "crm-newsletter": the query cannot be read: syntax error at or near "customers"/) }]);

    const table = await refusal([goal({ table: 'clients', columns: { id: 'id', email: 'email' } })]);
    expect(table.problems[0]).toEqual({ pointer: '/goals/0/source/table', message: 'goal "crm-newsletter": table clients cannot be read: relation "clients" does not exist' });

    const columns = await refusal([
      goal({ columns: { id: 'id', email: 'Email', updatedAt: 'first_name', properties: { data: 'payload', gone: 'nothere' } }, consent: { column: 'consents', objectives: ['newsletter'] } }),
    ]);
    expect(columns.problems).toEqual([
      { pointer: '/goals/0/source/columns/email', message: expect.stringMatching(/^goal "crm-newsletter": column "Email" is not in table customers; did you mean "email"\? \(its columns: id, email, /) },
      {
        pointer: '/goals/0/source/consent/column',
        message: 'goal "crm-newsletter": column "consents" is of type text[]; a consent column of objective names takes no "objectives": its values are the objectives',
      },
      { pointer: '/goals/0/source/columns/updatedAt', message: 'goal "crm-newsletter": column "first_name" is of type varchar; the updatedAt column must hold timestamps or dates' },
      { pointer: '/goals/0/source/columns/properties/data', message: expect.stringMatching(/^goal "crm-newsletter": column "payload" is of type jsonb; a property holds/) },
      { pointer: '/goals/0/source/columns/properties/gone', message: expect.stringMatching(/^goal "crm-newsletter": column "nothere" is not in table customers/) },
    ]);
    expect(columns.message).toContain('/goals/0/source/columns/email: goal "crm-newsletter": column "Email"');

    const rules = await refusal([
      goal({
        columns: { id: 'id', email: 'email' },
        rules: [
          { column: 'score', op: 'gt', value: 'ten' },
          { column: 'tags', op: 'eq', value: 'a' },
          { column: 'contry', op: 'eq', value: 'FR' },
        ],
      }),
    ]);
    expect(rules.problems.map((p) => p.pointer)).toEqual(['/goals/0/source/rules/0/value', '/goals/0/source/rules/1/op', '/goals/0/source/rules/2/column']);
    expect(rules.problems[0].message).toBe('goal "crm-newsletter": rule on column "score" (of type numeric) compares it with "ten", where it needs a number');

    const value = await refusal([goal({ columns: { id: 'id', email: 'email' }, rules: [{ column: 'updated_at', op: 'gt', value: 'yesterday-ish' }] })]);
    expect(value.problems).toEqual([{ pointer: '/goals/0/source/rules', message: expect.stringMatching(/^goal "crm-newsletter": the rules do not run: invalid input syntax for type timestamp with time zone/) }]);
  });

  it('stops a statement at the timeout with a clear message', async () => {
    const query = 'SELECT id, email, opt_in FROM customers, pg_sleep(3)';
    // The check reads no rows, so it passes; the first read stops after a second.
    const slow = await sourceOf(goal({ table: undefined, query, columns: { id: 'id', email: 'email' }, timeoutSeconds: 1 }));
    await expect(all(slow.streamSegment({ segment: 'newsletter' }))).rejects.toThrow('goal "crm-newsletter": reading the query failed: it did not finish within 1 s (the source\'s timeoutSeconds)');
  });

  it('never shows the database URL or its password', async () => {
    const wrongScheme = await refusal([goal({ columns: { id: 'id', email: 'email' } })], 'mysql://user:hunter2pass@127.0.0.1/crm');
    expect(wrongScheme.message).toContain(`the variable ${SECRET_ENV} does not hold a postgresql URL`);
    expect(wrongScheme.message).not.toContain('hunter2pass');
    const unreachable = await open([goal({ columns: { id: 'id', email: 'email' } })], 'postgres://user:hunter2pass@127.0.0.1:1/crm').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(unreachable).toBeInstanceOf(CdpError);
    expect((unreachable as CdpError).code).toBe('source_unavailable');
    expect((unreachable as Error).message).toMatch(/^goal "crm-newsletter": database "crm" could not be read: /);
    expect((unreachable as Error).message).not.toContain('hunter2pass');
  });
});
