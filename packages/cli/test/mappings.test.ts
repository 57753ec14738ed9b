import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox, type SandboxSeed } from '@cdp/mailchimp-sandbox';
import { assertBuilt, childEnv, runCdp } from './support/cli-process.js';

const API_KEY = '8c1d2e3f4a5b6c7d8e9fa0b1c2d3e4f5-us1';

/** An audience with Mailchimp's default merge fields, a few custom ones, and one the catalog has nothing for. */
const SEED: SandboxSeed = {
  apiKeys: [API_KEY],
  lists: [
    {
      id: 'members1',
      name: 'Members',
      merge_fields: [
        { tag: 'FNAME', name: 'First Name', type: 'text' },
        { tag: 'LNAME', name: 'Last Name', type: 'text' },
        { tag: 'PHONE', name: 'Phone Number', type: 'phone' },
        { tag: 'BIRTHDAY', name: 'Birthday', type: 'birthday' },
        { tag: 'COMPANY', name: 'Company', type: 'text' },
        { tag: 'ADDRESS', name: 'Address', type: 'address' },
        { tag: 'POINTS', name: 'Loyalty points', type: 'number' },
        { tag: 'MMERGE8', name: 'Signup source', type: 'text' },
        { tag: 'MMERGE9', name: 'Favourite shop', type: 'text' },
      ],
    },
  ],
};

const CATALOG = {
  segments: ['members'],
  objectives: ['newsletter'],
  properties: [
    { name: 'email', uniqueIdentifier: true, type: 'text' },
    { name: 'first_name', type: 'text' },
    { name: 'surname', type: 'text' },
    { name: 'phone', type: 'text' },
    { name: 'date_of_birth', type: 'date' },
    { name: 'company_name' },
    { name: 'address', type: 'text' },
    { name: 'loyalty_points', type: 'number' },
    { name: 'signupSource', type: 'text' },
  ],
};

/** Laid out by hand, as people write them: --write must leave this layout as it is. */
const CONNECTION = `{
  "$schema": "../schemas/connection.schema.json",
  "id": "members",
  "name": "Members with Mailchimp",
  "connector": "mailchimp",
  "enabled": true,
  "objectives": ["newsletter"],
  "auth": { "apiKey": { "env": "MAILCHIMP_API_KEY" } },
  "goals": [
    {
      "id": "import-members",
      "kind": "import",
      "audiences": [{ "id": "members1" }],
      "identifier": "email",
      "mappings": [
        { "from": "email_address", "to": "email", "mode": "setIfEmpty" },
        { "from": "merge_fields.FNAME", "to": "first_name", "mode": "set" }
      ]
    },
    {
      "id": "export-members",
      "kind": "export",
      "segment": "members",
      "audiences": ["members1"],
      "identifier": "email",
      "mappings": [
        { "source": "property", "property": "first_name", "to": "FNAME" }
      ]
    }
  ]
}
`;

let sandbox: Sandbox;
let dir: string;
let catalogPath: string;
let env: NodeJS.ProcessEnv;

const cdp = (args: string[]) => runCdp(['--catalog', catalogPath, ...args], env);

async function connectionFile(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, CONNECTION);
  return path;
}

beforeAll(async () => {
  assertBuilt();
  sandbox = await startSandbox({ seed: SEED });
  dir = await mkdtemp(join(tmpdir(), 'cdp-cli-mappings-'));
  catalogPath = join(dir, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify(CATALOG));
  env = childEnv({ MAILCHIMP_API_KEY: API_KEY, MAILCHIMP_BASE_URL: sandbox.baseUrl });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('cdp mappings suggest', () => {
  it("prints each goal's missing mappings in the connection's shape, matched by name or synonym and by type", async () => {
    const path = await connectionFile('suggest.connection.json');
    const result = await cdp(['mappings', 'suggest', path]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      goals: [
        {
          id: 'import-members',
          mappings: [
            { from: 'merge_fields.LNAME', to: 'surname', mode: 'set' },
            { from: 'merge_fields.PHONE', to: 'phone', mode: 'set' },
            { from: 'merge_fields.COMPANY', to: 'company_name', mode: 'set' },
            { from: 'merge_fields.POINTS', to: 'loyalty_points', mode: 'set' },
            { from: 'merge_fields.MMERGE8', to: 'signupSource', mode: 'set' },
          ],
        },
        {
          id: 'export-members',
          mappings: [
            { source: 'property', property: 'surname', to: 'LNAME' },
            { source: 'property', property: 'phone', to: 'PHONE' },
            { source: 'property', property: 'company_name', to: 'COMPANY' },
            { source: 'property', property: 'loyalty_points', to: 'POINTS' },
            { source: 'property', property: 'signupSource', to: 'MMERGE8' },
          ],
        },
      ],
    });
    // Which pairs have compatible types, and which were left out for theirs.
    expect(result.stderr).toContain('import-members (import): 5 mappings suggested');
    expect(result.stderr).toContain('LNAME (text) -> surname (text): same meaning, compatible types');
    expect(result.stderr).toContain('BIRTHDAY (birthday) -> date_of_birth (date): same meaning, incompatible types, left out');
    expect(result.stderr).toContain('date_of_birth (date) -> BIRTHDAY (birthday): same meaning, incompatible types, left out');
    expect(result.stderr).toContain('address (text) -> ADDRESS (address): same name, incompatible types, left out');
    expect(result.stderr).toContain('company_name (no type in the catalog) -> COMPANY (text): same meaning, types not checked');
    expect(result.stderr).not.toContain('MMERGE9');
    // Suggesting reads; it writes nothing.
    expect(await readFile(path, 'utf8')).toBe(CONNECTION);
  });

  it('--write adds them to the file, keeps its layout, and leaves a connection cdp validate accepts', async () => {
    const path = await connectionFile('write.connection.json');
    const result = await cdp(['mappings', 'suggest', path, '--goal', 'export-members', '--write']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Added 5 mappings to ${path}`);
    const written = await readFile(path, 'utf8');
    expect(written).toBe(
      CONNECTION.replace(
        '        { "source": "property", "property": "first_name", "to": "FNAME" }\n',
        [
          '        { "source": "property", "property": "first_name", "to": "FNAME" },',
          '        { "source": "property", "property": "surname", "to": "LNAME" },',
          '        { "source": "property", "property": "phone", "to": "PHONE" },',
          '        { "source": "property", "property": "company_name", "to": "COMPANY" },',
          '        { "source": "property", "property": "loyalty_points", "to": "POINTS" },',
          '        { "source": "property", "property": "signupSource", "to": "MMERGE8" }\n',
        ].join('\n'),
      ),
    );
    const validated = await cdp(['validate', path]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('valid (connection "members", 2 goals)');
    // Written once, nothing is left to suggest for that goal.
    const again = await cdp(['mappings', 'suggest', path, '--goal', 'export-members', '--write']);
    expect(JSON.parse(again.stdout)).toEqual({ goals: [{ id: 'export-members', mappings: [] }] });
    expect(again.stderr).toContain(`Nothing to add to ${path}`);
  });

  it('--write fills an empty mappings list, indented as the file is', async () => {
    const path = join(dir, 'empty.connection.json');
    await writeFile(path, CONNECTION.replace('"mappings": [\n        { "source": "property", "property": "first_name", "to": "FNAME" }\n      ]', '"mappings": []'));
    const result = await cdp(['mappings', 'suggest', path, '--goal', 'export-members', '--write']);
    expect(result.code).toBe(0);
    const written = await readFile(path, 'utf8');
    expect(JSON.parse(written).goals[1].mappings.map((mapping: { to: string }) => mapping.to)).toEqual(['FNAME', 'LNAME', 'PHONE', 'COMPANY', 'POINTS', 'MMERGE8']);
    expect(written).toContain(
      [
        '      "mappings": [',
        '        {',
        '          "source": "property",',
        '          "property": "first_name",',
        '          "to": "FNAME"',
        '        },',
        '        {',
        '          "source": "property",',
        '          "property": "surname",',
        '          "to": "LNAME"',
        '        },',
      ].join('\n'),
    );
    expect((await cdp(['validate', path])).code).toBe(0);
  });

  it("matches a goal that reads a SQL source with the properties its source maps, not the catalog's", async () => {
    const path = join(dir, 'crm.connection.json');
    const connection = JSON.parse(CONNECTION);
    connection.databases = { crm: { url: { env: 'CDP_SECRET_CRM_DATABASE_URL' } } };
    connection.goals = [
      {
        id: 'crm-to-members',
        kind: 'export',
        segment: 'customers',
        audiences: ['members1'],
        identifier: 'email',
        source: {
          database: 'crm',
          table: 'customers',
          columns: { id: 'id', email: 'email', properties: { telephone: 'phone', familyName: 'last_name' } },
          consent: { column: 'newsletter_opt_in', objectives: ['newsletter'] },
        },
        mappings: [],
      },
    ];
    await writeFile(path, JSON.stringify(connection, null, 2));
    const result = await cdp(['mappings', 'suggest', path]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).goals[0].mappings).toEqual([
      { source: 'property', property: 'familyName', to: 'LNAME' },
      { source: 'property', property: 'telephone', to: 'PHONE' },
    ]);
  });

  it('refuses a catalog property type it does not know, naming the types it does', async () => {
    const catalog = join(dir, 'mistyped-catalog.json');
    await writeFile(catalog, JSON.stringify({ ...CATALOG, properties: [{ name: 'phone', type: 'string' }] }));
    const result = await runCdp(['--catalog', catalog, 'mappings', 'suggest', await connectionFile('mistyped.connection.json')], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/properties/0: must be { "name": string, "uniqueIdentifier"?: boolean, "type"?: "text" | "number" | "boolean" | "date" | "list" }');
  });

  it('refuses a goal the connection does not have', async () => {
    const result = await cdp(['mappings', 'suggest', await connectionFile('unknown-goal.connection.json'), '--goal', 'export-everyone']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Connection members has no goal export-everyone (its goals: import-members, export-members)');
  });
});
