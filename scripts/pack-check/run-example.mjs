// Runs the compiled embedding example (dist/example.js) in the host project the way a CDP would: on MONGODB_URI
// or the embedded MongoDB-compatible server, holding the example profiles, against the Mailchimp sandbox seeded
// with the example audience. Imports resolve to the installed tarballs, never to the repository.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { assertValidSeed, startSandbox } from '@cdp/mailchimp-sandbox';
import { loadProfilesFromNdjson, mongoFromEnvironment, openMongoStores } from '@cdp/store-mongodb';

const EXAMPLES = `${process.cwd()}/node_modules/@cdp/cli/examples/`;
/** Any well-formed key is accepted by a sandbox whose seed lists none. */
const SANDBOX_API_KEY = '0123456789abcdef0123456789abcdef-us1';

const seed = JSON.parse(await readFile(`${EXAMPLES}mailchimp-seed.json`, 'utf8'));
assertValidSeed(seed);
const mongo = await mongoFromEnvironment('cdp');
const sandbox = await startSandbox({ seed });
try {
  // The example opens the database named `cdp`, so the profiles go there.
  const stores = await openMongoStores(mongo.uri, { database: 'cdp', uniqueIdentifiers: ['email'] });
  const { loaded } = await loadProfilesFromNdjson(stores.profiles, `${EXAMPLES}profiles.ndjson`);
  await stores.close();
  console.log(`  ${loaded} profiles loaded; Mailchimp sandbox at ${sandbox.baseUrl}`);

  const env = { ...process.env, MONGODB_URI: mongo.uri, MAILCHIMP_BASE_URL: sandbox.baseUrl, MAILCHIMP_API_KEY: seed.apiKeys?.[0] ?? SANDBOX_API_KEY };
  // Asynchronous: the sandbox answers from this process while the example runs.
  const example = spawn(process.execPath, ['dist/example.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  example.stdout.on('data', (chunk) => (output += chunk));
  const [code] = await once(example, 'close');
  process.stdout.write(output);
  if (code !== 0 || !output.startsWith('succeeded')) {
    console.error(`The embedding example did not succeed (exit ${code}).`);
    process.exitCode = 1;
  }
} finally {
  await sandbox.close();
  await mongo.stop();
}
