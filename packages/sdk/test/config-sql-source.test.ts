import { describe, expect, it } from '@jest/globals';
import { StaticCatalog, validateConnection } from '@cdp/sdk';
import { mailchimp } from './config-helpers.js';

const catalog = new StaticCatalog({ segments: [], properties: [], objectives: ['newsletter'], lifecycles: [] });

function connection(source: Record<string, unknown>, goal: Record<string, unknown> = {}, databases: unknown = { crm: { url: { env: 'CDP_SECRET_CRM_URL' } } }) {
  return {
    id: 'crm',
    name: 'CRM',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' } },
    databases,
    goals: [
      {
        id: 'to-news',
        kind: 'export',
        segment: 'anything',
        audiences: ['news1'],
        identifier: 'email',
        mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }],
        source: { database: 'crm', table: 'customers', columns: { id: 'id', email: 'email', properties: { firstName: 'first_name' } }, consent: { column: 'opt_in', objectives: ['newsletter'] }, ...source },
        ...goal,
      },
    ],
  };
}

const problems = async (raw: unknown) => {
  const result = await validateConnection(raw, { catalog, connectors: [mailchimp] });
  return result.ok ? [] : result.problems;
};

describe('export goals with a SQL source', () => {
  it("are checked against the source, not the catalog: the segment, identifier and properties are the source's", async () => {
    expect(await problems(connection({}))).toEqual([]);
  });

  it('need a database of the connection, its objectives, mapped properties, a table or a query, and no lifecycles', async () => {
    const found = await problems(
      connection(
        { database: 'warehouse', query: 'SELECT 1', schema: 'public', consent: { column: 'opt_in', objectives: ['sales'] } },
        { mappings: [{ source: 'property', property: 'city', to: 'CITY' }], lifecycleStage: { lifecycle: 'l', stage: 's' } },
      ),
    );
    expect(found.map((p) => p.pointer)).toEqual([
      '/goals/0/source',
      '/goals/0/source/database',
      '/goals/0/source/consent/objectives/0',
      '/goals/0/mappings/0/property',
      '/goals/0/lifecycleStage',
    ]);
    expect(found[1].message).toBe('goal "to-news": unknown database "warehouse" (databases: crm)');
    expect(found[3].message).toBe('goal "to-news": the SQL source maps no property "city" (properties: email, firstName)');
  });

  it('never quote a database URL written into the config', async () => {
    const found = await problems(connection({}, {}, { crm: { url: 'postgres://reader:hunter2@db/crm' } }));
    expect(found.map((p) => p.pointer)).toEqual(['/databases/crm/url']);
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });
});
