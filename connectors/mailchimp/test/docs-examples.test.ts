import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { StaticCatalog, validateConnection, type CatalogData } from '@cdp/sdk';
import { createMailchimpConnector } from '../src/index.js';

/**
 * Every JSON example of docs/connectors/mailchimp.md validates as the page presents it: a whole goal, a goal's
 * options (merged into an export goal, or an import goal when it says `"kind": "import"`), an import mapping, or a
 * connection's head (`connector`, `auth`) completed with a goal. So an option renamed or tightened in the schemas cannot leave the page behind.
 */
const PAGE = fileURLToPath(new URL('../../../docs/connectors/mailchimp.md', import.meta.url));

/** The names the page's examples use, as a CDP's catalog would define them. */
const catalog = new StaticCatalog({
  segments: ['newsletter-subscribers', 'vip'],
  properties: ['email', 'firstName', 'lastName', 'interests', 'favouriteCategory', 'customerType', 'loyaltyPoints', 'mailchimpStatus', 'openRate', 'country', 'optInAt', 'mailchimpAudiences'].map(
    (name) => ({ name, uniqueIdentifier: name === 'email' }),
  ),
  objectives: ['newsletter', 'ads'],
  lifecycles: [{ id: 'onboarding', stages: [{ id: 'active' }] }],
} satisfies CatalogData);

/** The page's sandbox example names a loopback base URL, allowed as MAILCHIMP_ALLOWED_BASE_URLS would. */
const connector = createMailchimpConnector({ allowedBaseUrls: ['http://127.0.0.1:4010'] });

type Json = Record<string, unknown>;

const exportGoal = (options: Json = {}): Json => ({
  id: 'export',
  kind: 'export',
  segment: 'newsletter-subscribers',
  audiences: ['a1b2c3d4e5'],
  identifier: 'email',
  mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }],
  ...options,
});

const importGoal = (options: Json = {}): Json => ({
  id: 'import',
  kind: 'import',
  audiences: [{ id: 'a1b2c3d4e5', createProfiles: true }],
  identifier: 'email',
  grantedObjectives: { subscribed: ['newsletter'] },
  mappings: [{ from: 'merge_fields.FNAME', to: 'firstName', mode: 'set' }],
  ...options,
});

/** The connection a block stands for. */
function connectionOf(block: Json): Json {
  const connection: Json = { id: 'docs', name: 'Docs example', connector: 'mailchimp', enabled: true, objectives: ['newsletter', 'ads'], auth: { apiKey: { env: 'MAILCHIMP_API_KEY' } } };
  if ('connector' in block || 'auth' in block) return { ...connection, goals: [exportGoal()], ...block };
  if ('id' in block && 'kind' in block) return { ...connection, goals: [block] };
  if ('from' in block) return { ...connection, goals: [importGoal({ mappings: [block] })] };
  return { ...connection, goals: [block.kind === 'import' ? importGoal(block) : exportGoal(block)] };
}

function jsonBlocks(markdown: string): { line: number; value: Json }[] {
  const blocks: { line: number; value: Json }[] = [];
  const pattern = /^```json\n([\s\S]*?)^```$/gm;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    blocks.push({ line: markdown.slice(0, match.index).split('\n').length, value: JSON.parse(match[1]) as Json });
  }
  return blocks;
}

describe('the JSON examples of docs/connectors/mailchimp.md', () => {
  const blocks = jsonBlocks(readFileSync(PAGE, 'utf8'));

  it('are found', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks.map((block) => [block.line, block.value] as const))('the block at line %i validates', async (_line, value) => {
    const result = await validateConnection(connectionOf(value), { catalog, connectors: [connector] });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});
