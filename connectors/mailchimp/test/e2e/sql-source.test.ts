import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import { StaticCatalog, type Connection, type RunReport } from '@cdp/sdk';
import { openPostgresStores, postgresFromEnvironment, type EmbeddedPostgres, type PostgresStores } from '@cdp/store-postgres';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createMailchimpConnector } from '../../src/index.js';

// A connection whose export goal reads its profiles from a PostgreSQL table of the customer's own (not the CDP's
// profile store), end to end: run service → SQL source → engine → official client → sandbox, with the state in
// the PostgreSQL store.

const API_KEY = '0123456789abcdef0123456789abcdef-us21';
const DB_PASSWORD = 'pw-Zq81-never-shown';

const CONNECTION = (baseUrl: string): Connection => ({
  id: 'crm-sync',
  name: 'CRM customers to the newsletter',
  connector: 'mailchimp',
  enabled: true,
  objectives: ['newsletter'],
  auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl },
  databases: { crm: { engine: 'postgresql', url: { env: 'CDP_SECRET_CRM_DATABASE_URL' } } },
  goals: [
    {
      id: 'customers-to-newsletter',
      kind: 'export',
      segment: 'newsletter',
      audiences: ['news1'],
      identifier: 'email',
      mappings: [
        { source: 'property', property: 'firstName', to: 'FNAME' },
        { source: 'property', property: 'plan', to: 'PLAN' },
      ],
      segmentTags: 'all',
      onConsentWithdrawn: 'unsubscribe',
      source: {
        database: 'crm',
        table: 'customers',
        columns: { id: 'id', email: 'email', updatedAt: 'updated_at', segments: 'lists', properties: { firstName: 'first_name', plan: 'plan' } },
        consent: { column: 'newsletter_opt_in', objectives: ['newsletter'] },
        rules: [{ column: 'country', op: 'in', value: ['FR', 'BE'] }],
      },
    },
  ],
});

async function createDatabase(admin: pg.Client, server: EmbeddedPostgres, name: string): Promise<string> {
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

function counts(report: RunReport) {
  const { selected, created, updated, unchanged, withdrawn, skipped, failed } = report.goals[0].audiences[0];
  return { selected, created, updated, unchanged, withdrawn, skipped, failed };
}

describe('export goal reading a SQL source', () => {
  let server: EmbeddedPostgres;
  let admin: pg.Client;
  let crm: pg.Pool;
  let stores: PostgresStores;
  let sandbox: Sandbox;
  let service: RunService;
  const logLines: string[] = [];
  const databases: string[] = [];

  beforeAll(async () => {
    server = await postgresFromEnvironment();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const suffix = randomUUID().slice(0, 8);
    databases.push(`crm_${suffix}`, `cdp_${suffix}`);
    const crmUrl = await createDatabase(admin, server, databases[0]);
    const cdpUrl = await createDatabase(admin, server, databases[1]);
    crm = new pg.Pool({ connectionString: crmUrl, max: 2 });
    crm.on('error', () => undefined);
    await crm.query(`CREATE TABLE customers (
      id bigint PRIMARY KEY, email text, first_name text, plan text, country text, lists text[] NOT NULL DEFAULT '{}',
      newsletter_opt_in boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())`);
    await crm.query(`INSERT INTO customers (id, email, first_name, plan, country, lists, newsletter_opt_in, updated_at) VALUES
      (1, 'ada@example.com', 'Ada', 'pro', 'FR', '{newsletter,vip}', true, now() - interval '2 days'),
      (2, 'bob@example.com', 'Bob', 'free', 'BE', '{newsletter}', true, now() - interval '2 days'),
      (3, 'cy@example.com', 'Cy', 'free', 'FR', '{newsletter}', true, now() - interval '2 days'),
      (4, 'dan@example.com', 'Dan', 'pro', 'DE', '{newsletter}', true, now() - interval '2 days'),
      (5, 'eve@example.com', 'Eve', 'free', 'FR', '{newsletter}', false, now() - interval '2 days'),
      (6, 'fay@example.com', 'Fay', 'pro', 'FR', '{}', true, now() - interval '2 days')`);
    stores = await openPostgresStores(cdpUrl, { uniqueIdentifiers: ['email'] });
    sandbox = await startSandbox({
      seed: {
        apiKeys: [API_KEY],
        lists: [{ id: 'news1', name: 'Newsletter', merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }, { tag: 'PLAN', name: 'Plan', type: 'text' }] }],
      },
    });
    // The database URL carries a password (the test server trusts loopback and ignores it): it must never show.
    const withPassword = new URL(crmUrl);
    withPassword.password = DB_PASSWORD;
    service = createRunService({
      profiles: stores.profiles,
      state: stores.state,
      catalog: new StaticCatalog({ segments: [], properties: [{ name: 'email', uniqueIdentifier: true }], objectives: ['newsletter'], lifecycles: [] }),
      connections: new StaticConnectionSource([CONNECTION(sandbox.baseUrl)]),
      connectors: [createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl] })],
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, CDP_SECRET_CRM_DATABASE_URL: withPassword.toString() }),
      logger: { log: (level, message, fields) => logLines.push(JSON.stringify({ level, message, fields })) },
    });
  });

  afterAll(async () => {
    await sandbox?.close();
    await stores?.close();
    await crm?.end();
    for (const name of databases) await admin?.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin?.end();
    await server?.stop();
  });

  const members = () =>
    sandbox.admin
      .dump()
      .lists.find((list) => list.id === 'news1')!
      .members.map((m) => ({ email: m.email_address, status: m.status, fname: m.merge_fields.FNAME, plan: m.merge_fields.PLAN, tags: [...m.tags].sort() }))
      .sort((a, b) => a.email.localeCompare(b.email));

  it('shows the counts first, sends the rows that qualify, then follows changed, withdrawn and deleted rows', async () => {
    // cdp test: what a run would send, nothing written anywhere.
    const dry = await service.test('crm-sync');
    expect(dry.status).toBe('succeeded');
    // Rows 1, 2, 3 and 5 are in the segment (the newsletter list, France or Belgium); 5 has not opted in.
    expect(counts(dry)).toEqual({ selected: 4, created: 3, updated: 0, unchanged: 0, withdrawn: 0, skipped: { noConsent: 1 }, failed: 0 });
    expect(members()).toEqual([]);
    expect(sandbox.admin.counters().writes).toBe(0);
    expect(await service.history({ connectionId: 'crm-sync' })).toEqual([]);

    const first = await service.runNow('crm-sync');
    expect(first.status).toBe('succeeded');
    expect(counts(first)).toEqual({ selected: 4, created: 3, updated: 0, unchanged: 0, withdrawn: 0, skipped: { noConsent: 1 }, failed: 0 });
    expect(members()).toEqual([
      { email: 'ada@example.com', status: 'subscribed', fname: 'Ada', plan: 'pro', tags: ['newsletter', 'vip'] },
      { email: 'bob@example.com', status: 'subscribed', fname: 'Bob', plan: 'free', tags: ['newsletter'] },
      { email: 'cy@example.com', status: 'subscribed', fname: 'Cy', plan: 'free', tags: ['newsletter'] },
    ]);

    // The customer's database changes: Ada is renamed and leaves the vip list, Bob's row is deleted, Cy opts out,
    // Fay joins the newsletter list. Eve, who never opted in, stays as she is.
    await crm.query(`UPDATE customers SET first_name = 'Ada L.', lists = '{newsletter}', updated_at = now() WHERE id = 1`);
    await crm.query(`DELETE FROM customers WHERE id = 2`);
    await crm.query(`UPDATE customers SET newsletter_opt_in = false, updated_at = now() WHERE id = 3`);
    await crm.query(`UPDATE customers SET lists = '{newsletter}', updated_at = now() WHERE id = 6`);

    const dryAgain = await service.test('crm-sync');
    expect(counts(dryAgain)).toMatchObject({ created: 1, updated: 1, withdrawn: 2 });

    const second = await service.runNow('crm-sync');
    expect(second.status).toBe('succeeded');
    // The delta reads the three changed rows; the deleted row and the opt-out are withdrawn by the sweep.
    expect(counts(second)).toEqual({ selected: 3, created: 1, updated: 1, unchanged: 0, withdrawn: 2, skipped: { noConsent: 1 }, failed: 0 });
    expect(members()).toEqual([
      { email: 'ada@example.com', status: 'subscribed', fname: 'Ada L.', plan: 'pro', tags: ['newsletter'] },
      { email: 'bob@example.com', status: 'unsubscribed', fname: 'Bob', plan: 'free', tags: ['newsletter'] },
      { email: 'cy@example.com', status: 'unsubscribed', fname: 'Cy', plan: 'free', tags: ['newsletter'] },
      { email: 'fay@example.com', status: 'subscribed', fname: 'Fay', plan: 'pro', tags: ['newsletter'] },
    ]);

    // Nothing changed since: the third run writes nothing.
    const writes = sandbox.admin.counters().writes;
    const third = await service.runNow('crm-sync');
    expect(counts(third)).toMatchObject({ created: 0, updated: 0, withdrawn: 0, failed: 0 });
    expect(sandbox.admin.counters().writes).toBe(writes);
    // The CDP's own profile store was never read into or written: the goal read the customer's table.
    expect(await stores.profiles.count()).toBe(0);

    const everything = JSON.stringify([dry, first, dryAgain, second, third, await service.history({ connectionId: 'crm-sync' }), logLines]);
    expect(everything).not.toContain(DB_PASSWORD);
    expect(everything).not.toContain(API_KEY);
  });

  it('refuses a source whose column is missing, naming the goal and the column, before anything is written', async () => {
    const broken = CONNECTION(sandbox.baseUrl);
    const goal = broken.goals[0];
    if (goal.kind !== 'export' || !goal.source) throw new Error('an export goal with a source');
    goal.source.columns.properties = { firstName: 'given_name', plan: 'plan' };
    const connections = new StaticConnectionSource([{ ...broken, id: 'crm-broken' }]);
    const withPassword = `postgres://postgres:${DB_PASSWORD}@${new URL(server.url).host}/${databases[0]}`;
    const brokenService = createRunService({
      profiles: stores.profiles,
      state: stores.state,
      catalog: new StaticCatalog({ segments: [], properties: [], objectives: ['newsletter'], lifecycles: [] }),
      connections,
      connectors: [createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl] })],
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY, CDP_SECRET_CRM_DATABASE_URL: withPassword }),
      logger: { log: () => undefined },
    });
    const writes = sandbox.admin.counters().writes;
    const error = await brokenService.runNow('crm-broken').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('/goals/0/source/columns/properties/firstName: goal "customers-to-newsletter": column "given_name" is not in table customers');
    expect(error?.message).not.toContain(DB_PASSWORD);
    expect(sandbox.admin.counters().writes).toBe(writes);
    const [refused] = await brokenService.history({ connectionId: 'crm-broken' });
    expect(refused.status).toBe('refused');
    expect(await stores.state.getWatermark('crm-broken', 'customers-to-newsletter')).toBeUndefined();
  });
});
