// Runs one connection once in its own process, against the built packages, as `cdp run` would: the crash and
// concurrency scenarios kill it or race two of it. Input comes from the environment (see child-run.ts);
// the outcome is one JSON line on standard output, log lines go to standard error.
import process from 'node:process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { createRunService, environmentSecrets, StaticConnectionSource } from '@cdp/runtime';
import { createLogger, StaticCatalog } from '@cdp/sdk';
import { openMongoStores } from '@cdp/store-mongodb';

const env = process.env;
const connection = JSON.parse(env.CDP_CONNECTION);
const stores = await openMongoStores(env.MONGODB_URI, { database: env.CDP_DATABASE, uniqueIdentifiers: ['email'] });
const secrets = environmentSecrets();
const service = createRunService({
  profiles: stores.profiles,
  state: stores.state,
  catalog: new StaticCatalog(JSON.parse(env.CDP_CATALOG)),
  connections: new StaticConnectionSource([connection]),
  connectors: [createMailchimpConnector({ timeoutMs: 5_000, retry: { baseDelayMs: 20, maxDelayMs: 200 }, allowAnyBaseUrl: true })],
  secrets,
  webhooks: { allowPrivateAddresses: true },
  logger: createLogger({ level: 'debug', secrets: () => secrets.values() }),
});

if (env.CDP_WAIT_FOR_GO === '1') {
  // Ready and connected; the test starts several children at the same moment by writing one line to each.
  process.stdout.write('ready\n');
  await once(createInterface({ input: process.stdin }), 'line');
}

let exitCode = 0;
try {
  // The run service passes its options on to the engine, lease included: a short lease frees a killed run's lock soon.
  const report = await service.runNow(connection.id, { leaseMs: Number(env.CDP_LEASE_MS ?? 60_000) });
  process.stdout.write(`${JSON.stringify({ report })}\n`);
} catch (error) {
  exitCode = 1;
  process.stdout.write(`${JSON.stringify({ error: { name: error.name, code: error.code, message: error.message } })}\n`);
} finally {
  await stores.close();
}
process.exit(exitCode);
