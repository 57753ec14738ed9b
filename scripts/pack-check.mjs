// Packs every workspace package, installs the tarballs into a new host project outside the repository, and
// there: type-checks and runs the embedding example of docs/embedding.md (taken from the doc, so the doc cannot
// go stale), then runs `cdp validate` on the example connection and `cdp demo`. Third-party dependencies come
// from the npm registry. Expects the packages built (npm run build).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'cdp-pack-check-'));
const packs = join(work, 'packs');
const host = join(work, 'host');
const started = Date.now();

function step(title) {
  console.log(`\n== ${title}`);
}

function run(command, args, cwd) {
  console.log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

/** The embedding example: the doc's first TypeScript block that composes a run service. */
function embeddingExample() {
  const doc = readFileSync(join(root, 'docs/embedding.md'), 'utf8');
  const block = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]).find((code) => code.includes('createRunService('));
  if (!block) throw new Error('docs/embedding.md has no ts block calling createRunService(');
  return `import { loadCatalogFromCdp, loadConnectionConfigs } from './cdp-host.js';\n${block}`;
}

try {
  step(`Packing the workspace packages into ${packs}`);
  mkdirSync(packs);
  run('npm', ['pack', '--workspaces', '--silent', '--pack-destination', packs], root);
  const tarballs = readdirSync(packs).map((name) => join(packs, name));

  step(`Installing them into a host project at ${host}`);
  cpSync(join(root, 'scripts/pack-check'), host, { recursive: true });
  writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'cdp-pack-check-host', private: true, type: 'module' }, null, 2));
  writeFileSync(join(host, 'example.ts'), embeddingExample());
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  run('npm', ['install', ...tarballs, `typescript@${devDependencies.typescript}`, `@types/node@${devDependencies['@types/node']}`], host);
  // A sibling dependency resolved from the registry instead of a tarball would test someone else's package.
  const installed = JSON.parse(readFileSync(join(host, 'package-lock.json'), 'utf8')).packages;
  const fromRegistry = Object.entries(installed).filter(([path, entry]) => path.includes('node_modules/@cdp/') && !entry.resolved?.startsWith('file:'));
  if (fromRegistry.length > 0) throw new Error(`not installed from the tarballs: ${fromRegistry.map(([path]) => path).join(', ')}`);

  step('Type-checking the embedding example of docs/embedding.md');
  run('npx', ['tsc', '-p', '.'], host);

  step('Running it on the embedded MongoDB-compatible server (or MONGODB_URI) and the Mailchimp sandbox');
  run('node', ['run-example.mjs'], host);

  step('npx cdp validate on the example connection');
  const examples = 'node_modules/@cdp/cli/examples';
  run('npx', ['cdp', 'validate', `${examples}/newsletter.connection.json`, '--catalog', `${examples}/catalog.json`], host);

  step('npx cdp demo');
  run('npx', ['cdp', 'demo'], host);

  console.log(`\nPack check passed: ${tarballs.length} packages installed and used outside the repository in ${Math.round((Date.now() - started) / 1000)} s.`);
} catch (error) {
  console.error(`\nPack check failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
