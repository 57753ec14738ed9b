// Generates the connection schema's validator as code, so a process need not compile the schemas before its first
// run (ajv takes some 150 ms of CPU for it). The JSON Schemas stay the single source of truth: this code is made from
// them, and `node scripts/generate-config-validator.mjs --check` fails when it is stale.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'packages/sdk/src/config/generated-validator.ts';
const CONNECTION_SCHEMA_ID = 'https://cdp-connect.dev/schemas/connection.schema.json';

// The SDK's own ajv and ajv-formats, the ones its runtime validation uses.
const sdkRequire = createRequire(`${root}packages/sdk/package.json`);
const { Ajv2020 } = sdkRequire('ajv/dist/2020');
const standaloneCode = sdkRequire('ajv/dist/standalone').default;
const { _ } = sdkRequire('ajv/dist/compile/codegen');
const addFormats = sdkRequire('ajv-formats');

/** Keywords that only describe: the generated code embeds each schema, and they would be most of its size. */
const ANNOTATIONS = new Set(['title', 'description', 'examples', '$comment', 'x-hint']);
/** Keywords whose value maps names to schemas; the names themselves (a property called `description`) stay. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'patternProperties', 'dependentSchemas']);

/** A schema without its annotations, however deeply nested. */
function withoutAnnotations(node, isMap = false) {
  if (Array.isArray(node)) return node.map((item) => withoutAnnotations(item));
  if (node === null || typeof node !== 'object') return node;
  const kept = {};
  for (const [key, value] of Object.entries(node)) {
    if (isMap) kept[key] = withoutAnnotations(value);
    else if (key === 'enum' || key === 'const' || key === 'default') kept[key] = value;
    else if (!ANNOTATIONS.has(key)) kept[key] = withoutAnnotations(value, SCHEMA_MAPS.has(key));
  }
  return kept;
}

/**
 * The same options as the SDK's registry (packages/sdk/src/config/schemas.ts) apart from the error detail: this
 * validator only says whether a config is valid (applying the defaults); a refused one is checked again by the
 * registry for every problem.
 */
function generate() {
  const ajv = new Ajv2020({
    strict: true,
    discriminator: true,
    useDefaults: true,
    inlineRefs: false,
    code: { source: true, esm: true, formats: _`formats` },
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  const dir = `${root}schemas/`;
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.schema.json')).sort()) {
    ajv.addSchema(withoutAnnotations(JSON.parse(readFileSync(`${dir}${name}`, 'utf8'))));
  }
  const code = standaloneCode(ajv, { validateConnection: CONNECTION_SCHEMA_ID }).replace(/^"use strict";/, '');
  return [
    '// @ts-nocheck',
    '/* Generated from the JSON Schemas by scripts/generate-config-validator.mjs. Do not edit by hand. */',
    "import { createRequire } from 'node:module';",
    "import { fullFormats as formats } from 'ajv-formats/dist/formats.js';",
    '// ajv writes its runtime helpers as require() calls, also in module code.',
    'const require = createRequire(import.meta.url);',
    code,
    '',
  ].join('\n');
}

const text = generate();
const path = `${root}${OUT}`;
if (process.argv.includes('--check')) {
  if ((await readFile(path, 'utf8').catch(() => '')) !== text) {
    console.error(`${OUT} is stale: run npm run generate:validator`);
    process.exit(1);
  }
} else {
  await writeFile(path, text);
  console.log(`wrote ${OUT}`);
}
