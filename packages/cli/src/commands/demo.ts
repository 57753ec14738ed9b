import { fileURLToPath } from 'node:url';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import type { RunReport } from '@cdp/sdk';
import { loadProfilesFromNdjson, mongoFromEnvironment } from '@cdp/store-mongodb';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { readConnectionFile } from '../connection-files.js';
import { validateConnectionFile } from '../connectors.js';
import type { CliContext } from '../context.js';
import { envValue } from '../env.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { connectionSource, withHost, type Host } from '../host.js';
import { databaseName, withoutCredentials } from '../mongo.js';
import { ProgressDisplay } from '../progress.js';
import { renderRunReport } from '../report-table.js';
import { readSeed } from './sandbox.js';

/**
 * The package's copy of the repository's examples (made by the build), so an installed package finds them: this
 * module sits two levels below the package in src/commands and dist/commands alike.
 */
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

const DEMO = {
  seed: `${EXAMPLES}mailchimp-seed.json`,
  catalog: `${EXAMPLES}catalog.json`,
  connection: `${EXAMPLES}newsletter.connection.json`,
  profiles: `${EXAMPLES}profiles.ndjson`,
};

/** Any well-formed key is accepted by a sandbox whose seed lists none. */
const SANDBOX_API_KEY = '0123456789abcdef0123456789abcdef-us1';

interface DemoFlags {
  json?: boolean;
}

/**
 * `cdp demo` (what `npm start` runs): the example connection on MONGODB_URI, or else the embedded default (an
 * in-memory MongoDB-compatible server), and the Mailchimp sandbox, run twice, to show a full run and then the delta.
 * With --json, the two run reports are standard output's only content and the story goes to standard error.
 */
export const demo: Handler<DemoFlags, []> = async ({ ctx, options }) => {
  const say = (text = '') => (options.json ? ctx.output.message(text) : ctx.output.line(text));
  const seed = await readSeed(DEMO.seed);
  const catalog = await readCatalogFile(DEMO.catalog);
  const file = await readConnectionFile(DEMO.connection);
  await validateConnectionFile(file, catalog.catalog);

  const ownDatabase = envValue(ctx.env, 'MONGODB_URI') !== undefined;
  say(`Starting ${ownDatabase ? '' : 'the in-memory MongoDB-compatible server and '}the Mailchimp sandbox…`);
  const mongo = await mongoFromEnvironment('cdp-demo', ctx.env);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandbox({ seed });
    // The demo talks to its own sandbox only, whatever the environment says.
    ctx.env.MAILCHIMP_BASE_URL = sandbox.baseUrl;
    ctx.env.MAILCHIMP_API_KEY = seed.apiKeys?.[0] ?? SANDBOX_API_KEY;
    const members = (seed.lists ?? []).reduce((sum, list) => sum + (list.members?.length ?? 0), 0);
    const where = ownDatabase ? 'MongoDB from MONGODB_URI' : 'MongoDB-compatible server';
    say(`  ${where}: ${withoutCredentials(mongo.uri)} (database ${databaseName(mongo.uri)})`);
    say(`  Mailchimp sandbox: ${sandbox.baseUrl} (${seed.lists?.length ?? 0} audiences, ${members} members)`);
    const running = sandbox;
    return await withHost(ctx, { catalog, connections: connectionSource([file]), mongoUri: mongo.uri }, (host) => twoRuns(ctx, host, file.id, running, say, options.json === true));
  } finally {
    await sandbox?.close();
    await mongo.stop();
  }
};

async function twoRuns(ctx: CliContext, host: Host, connectionId: string, sandbox: Sandbox, say: (text?: string) => void, json: boolean): Promise<ExitCodeValue> {
  const loaded = await loadProfilesFromNdjson(host.stores.profiles, DEMO.profiles);
  say(`  Profiles loaded from examples/profiles.ndjson: ${loaded.loaded}`);
  for (const { line, reason } of loaded.refused) say(`    line ${line} refused: ${reason}`);

  say();
  say(`First run of ${connectionId}: import and export`);
  const first = await runWithProgress(ctx, host, connectionId);
  if (!json) say(renderRunReport(first));

  say();
  say('Second run, nothing changed in between: the delta');
  sandbox.admin.resetCounters();
  const second = await runWithProgress(ctx, host, connectionId);
  const writeCalls = sandbox.admin.counters().writes;
  if (json) ctx.output.json({ first, second, secondRunWriteCalls: writeCalls });
  else say(renderRunReport(second));
  say();

  // Imports may still bring back what the first export created; "nothing to send" is about Mailchimp.
  const exported = second.goals.filter((goal) => goal.kind === 'export').flatMap((goal) => goal.audiences);
  const sent = exported.reduce((sum, a) => sum + a.created + a.updated + a.removed, 0);
  if (first.status !== 'succeeded' || second.status !== 'succeeded') {
    say(`The example connection did not succeed (first run ${first.status}, second run ${second.status}).`);
    return ExitCode.runFailed;
  }
  if (sent > 0 || writeCalls > 0) {
    say(`Expected nothing to send on the second run, but it sent ${sent} members with ${writeCalls} write calls.`);
    return ExitCode.runFailed;
  }
  const unchanged = exported.reduce((sum, a) => sum + a.unchanged, 0);
  say(`Second run: nothing to send to Mailchimp (${unchanged} members unchanged, 0 write calls).`);
  return ExitCode.ok;
}

async function runWithProgress(ctx: CliContext, host: Host, connectionId: string): Promise<RunReport> {
  const progress = new ProgressDisplay(ctx.output);
  try {
    return await host.service.runNow(connectionId, { onProgress: progress.update });
  } finally {
    progress.finish();
  }
}
