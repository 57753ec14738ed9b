import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService, type SecretResolver } from '@cdp/runtime';
import { createLogger, StaticCatalog, type Connector, type Logger, type Profile } from '@cdp/sdk';
import { mongoFromEnvironment, openMongoStores, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { envFileSecretStore, startConsole, type ConsoleOptions, type RunningConsole } from '../../src/index.js';

// One world for the console's browser tests: the embedded MongoDB-compatible server (or MONGODB_URI) with the
// stores on it, the Mailchimp sandbox, the real run service over the official client, the console embedded in
// this process, and Debian's Chromium driven headless by playwright-core.

export const API_KEY = '0123456789abcdef0123456789abcdef-us1';
export const PASSWORD = 'correct horse battery staple';
export const AUDIENCE = 'news1';
/** An address Mailchimp refuses as fake (a reserved top-level domain): exporting it fails with Mailchimp's reason. */
export const REFUSED = 'reader@mailbox.test';
export const PROFILES = 24;
/** The app registered for OAuth in the sandbox, and the variable the OAuth connection reads its token from. */
export const OAUTH_APP = { clientId: '424242424242', clientSecret: 'the-console-app-client-secret' };
export const TOKEN_VARIABLE = 'MAILCHIMP_OAUTH_NEWSLETTER';

export interface World {
  mongo: EmbeddedMongo;
  stores: MongoStores;
  sandbox: Sandbox;
  service: RunService;
  source: StaticConnectionSource;
  env: NodeJS.ProcessEnv;
  secrets: SecretResolver;
  console: RunningConsole;
  /** The env file where Connect with Mailchimp stores access tokens. */
  secretsFile: string;
  browser: Browser;
  /** A fresh browser context (no cookies) with a page in it. */
  newPage(): Promise<Page>;
  /** A page logged in to the console. */
  loggedIn(): Promise<Page>;
  close(): Promise<void>;
}

/** A reader of the newsletter; a later `updatedAt` makes a changed profile part of the next run's delta. */
export function profile(index: number, email: string, firstName = `Reader ${index}`, updatedAt = new Date('2026-11-01T00:00:00Z')): Profile {
  return {
    id: `reader-${index}`,
    properties: { email: [email], first_name: [firstName] },
    segments: ['newsletter'],
    lifecycles: [],
    viewedInteractions: [],
    consent: { objectives: ['newsletter'] },
    updatedAt,
  };
}

export function newsletterConnection(sandbox: Sandbox, id = 'newsletter', auth: object = { apiKey: { env: 'MAILCHIMP_API_KEY' } }): object {
  return {
    id,
    name: id === 'newsletter' ? 'Newsletter' : 'Newsletter (OAuth)',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { ...auth, baseUrl: sandbox.baseUrl },
    schedule: { type: 'daysOfWeek', timeZone: 'Europe/Amsterdam', days: ['mon', 'wed', 'fri'], at: ['06:30', '18:00'] },
    goals: [
      {
        id: 'export-newsletter',
        kind: 'export',
        segment: 'newsletter',
        audiences: [AUDIENCE],
        identifier: 'email',
        mappings: [{ source: 'property', property: 'first_name', to: 'FNAME' }],
      },
    ],
  };
}

export async function startWorld(database: string, options: Partial<ConsoleOptions> = {}): Promise<World> {
  const [mongo, sandbox] = await Promise.all([
    mongoFromEnvironment(database),
    startSandbox({
      seed: {
        apiKeys: [API_KEY],
        lists: [
          {
            id: AUDIENCE,
            name: 'Newsletter',
            merge_fields: [{ tag: 'FNAME', name: 'First name', type: 'text' }],
          },
        ],
      },
      oauth: { clients: [OAUTH_APP], dc: 'us1', accountName: 'Newsletter account' },
    }),
  ]);
  const stores = await openMongoStores(mongo.uri, { database: `${database}_${process.pid}`, uniqueIdentifiers: ['email'] });
  await stores.profiles.upsertProfiles([
    ...Array.from({ length: PROFILES - 1 }, (_, index) => profile(index, `reader${index}@example.org`)),
    profile(PROFILES - 1, REFUSED),
  ]);
  const env: NodeJS.ProcessEnv = { MAILCHIMP_API_KEY: API_KEY };
  const secrets = environmentSecrets(env);
  const logger: Logger = createLogger({ level: 'error', secrets: () => secrets.values() });
  const connector = createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl], retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 } }) as Connector;
  // The same export with an OAuth token that Connect with Mailchimp has yet to store.
  const source = new StaticConnectionSource([
    newsletterConnection(sandbox),
    newsletterConnection(sandbox, 'newsletter-oauth', { accessToken: { env: TOKEN_VARIABLE }, serverPrefix: 'us1' }),
  ]);
  const catalog = new StaticCatalog({ segments: ['newsletter'], properties: [{ name: 'email', uniqueIdentifier: true }, { name: 'first_name' }], objectives: ['newsletter'] });
  const service = createRunService({ profiles: stores.profiles, state: stores.state, catalog, connections: source, connectors: [connector], logger, secrets });
  const secretsDir = await mkdtemp(join(tmpdir(), 'console-secrets-'));
  const secretsFile = join(secretsDir, 'cdp-secrets.env');
  const running = await startConsole({
    service,
    stores,
    connections: source,
    connectors: [connector],
    secrets,
    logger,
    password: PASSWORD,
    oauth: { ...OAUTH_APP, baseUrl: sandbox.url, tokens: envFileSecretStore(secretsFile, env) },
    ...options,
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // Each launch gets a fresh --user-data-dir from playwright-core (passing one here is refused), removed at close.
  });

  const newPage = async (): Promise<Page> => (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  return {
    mongo,
    stores,
    sandbox,
    service,
    source,
    env,
    secrets,
    console: running,
    secretsFile,
    browser,
    newPage,
    async loggedIn() {
      const page = await newPage();
      await page.goto(`${running.url}/`);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(`${running.url}/`), page.click('button[type=submit]')]);
      return page;
    },
    async close() {
      await browser.close();
      await running.close();
      await stores.close();
      await Promise.all([sandbox.close(), mongo.stop()]);
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}
