// Generates TypeScript types from the JSON Schemas, which stay the single source of truth.
// `node scripts/generate-config-types.mjs --check` fails when a generated file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

const SCHEMAS = `${root}schemas/`;

const targets = [
  {
    out: 'packages/sdk/src/config/generated-types.ts',
    title: 'ConfigSchemas',
    schemas: ['connection', 'import-goal', 'export-goal', 'mapping', 'schedule', 'notification-target'],
  },
  { out: 'connectors/mailchimp/src/generated-types.ts', title: 'MailchimpSchemas', schemas: ['mailchimp-auth'] },
];

const banner = '/* Generated from the JSON Schemas by scripts/generate-config-types.mjs. Do not edit by hand. */';

/** One synthetic root refers to every schema of a target, so each type is declared exactly once. */
async function generate(target) {
  const root = {
    title: target.title,
    description: 'Every schema of this file, by name.',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(target.schemas.map((name) => [name, { $ref: `${name}.schema.json` }])),
  };
  const ts = await compile(root, target.title, {
    bannerComment: banner,
    additionalProperties: false,
    strictIndexSignatures: true,
    ignoreMinAndMaxItems: true,
    cwd: SCHEMAS,
    $refOptions: {
      resolve: {
        cdp: { order: 1, canRead: (file) => file.url.startsWith(SCHEMAS), read: (file) => readFile(file.url.split('#')[0], 'utf8') },
        http: false,
      },
    },
  });
  return ts;
}

const check = process.argv.includes('--check');
let stale = 0;
for (const target of targets) {
  const text = await generate(target);
  const path = `${root}${target.out}`;
  if (check) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current !== text) {
      console.error(`${target.out} is stale: run npm run generate:types`);
      stale++;
    }
  } else {
    await writeFile(path, text);
    console.log(`wrote ${target.out}`);
  }
}
process.exit(stale ? 1 : 0);
