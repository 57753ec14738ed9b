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

/**
 * The options of the SDK's registry (packages/sdk/src/config/schemas.ts) that decide validity and defaults; not its
 * error detail (all errors, verbose) nor how the code is laid out: this validator only says whether a config is valid,
 * applying the defaults, and a refused one is checked again by the registry for every problem. A test compares the two
 * on the fixtures and on random changes of them.
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
    ajv.addSchema(JSON.parse(readFileSync(`${dir}${name}`, 'utf8')));
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
