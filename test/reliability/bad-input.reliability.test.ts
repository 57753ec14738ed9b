import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, type ConnectionSource, type RunService } from '@cdp/runtime';
import { createLogger, InvalidConfigError, StaticCatalog, type CatalogData, type ConfigProblem } from '@cdp/sdk';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { openMongoStores, startEmbeddedMongo, STATE_COLLECTIONS, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { profile } from '../../connectors/mailchimp/test/e2e/world.js';
import { API_KEY, Evidence } from './support/evidence.js';
import { recordFigures } from './support/figures.js';
import { FIXTURES, hostileConfigs, readJson, type HostileConfig } from './support/hostile-configs.js';

// Malformed and hostile configs are refused with a precise message before anything is read or written.

/** Serves whatever raw config it holds, as a CDP's own config table would. */
class OneConfigSource implements ConnectionSource {
  raw: unknown;
  async get(): Promise<unknown> {
    return this.raw;
  }
  async list(): Promise<unknown[]> {
    return [this.raw];
  }
}

function fixtureCases(): HostileConfig[] {
  return readdirSync(`${FIXTURES}invalid`)
    .filter((name) => name.endsWith('.json') && !name.endsWith('.expect.json'))
    .map((file) => {
      const name = file.slice(0, -'.json'.length);
      const [problem] = readJson(`${FIXTURES}invalid/${name}.expect.json`) as ConfigProblem[];
      return { name: `fixture ${name}`, config: readJson(`${FIXTURES}invalid/${file}`), problem };
    });
}

/** Points a config's credentials at the sandbox, so a run that slipped through would show in its counters. */
function aimedAtSandbox(config: unknown, baseUrl: string): unknown {
  const auth = (config as { auth?: unknown } | null)?.auth;
  if (auth && typeof auth === 'object' && !Array.isArray(auth) && !('baseUrl' in auth)) (auth as Record<string, unknown>).baseUrl = baseUrl;
  return config;
}

const evidence = new Evidence();
let mongo: EmbeddedMongo;
let stores: MongoStores;
let sandbox: Sandbox;
let service: RunService;
const source = new OneConfigSource();

/** Everything the stores hold but the run history (where each refusal is recorded), to show it changed nothing. */
async function storeSnapshot(): Promise<unknown> {
  const collections = ['profiles', ...Object.values(STATE_COLLECTIONS).filter((name) => name !== STATE_COLLECTIONS.runs)];
  return Object.fromEntries(await Promise.all(collections.map(async (name) => [name, await stores.db.collection(name).find().sort({ _id: 1 }).toArray()])));
}

beforeAll(async () => {
  mongo = await startEmbeddedMongo('reliability-bad-input');
  stores = await openMongoStores(mongo.uri, { database: 'bad_input', uniqueIdentifiers: ['email'] });
  await stores.profiles.upsertProfiles([profile('p1', 'ann@example.com', { segments: ['newsletter-subscribers'] })]);
  sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: [{ id: 'aud1', name: 'Audience', members: [{ email_address: 'ann@example.com', status: 'subscribed' }] }] } });
  const secrets = environmentSecrets({ MAILCHIMP_API_KEY: API_KEY });
  service = createRunService({
    profiles: stores.profiles,
    state: stores.state,
    catalog: new StaticCatalog(readJson(`${FIXTURES}catalog.json`) as CatalogData),
    connections: source,
    connectors: [createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl] })],
    secrets,
    logger: createLogger({ level: 'debug', secrets: () => secrets.values(), write: (line) => evidence.add('log line', line) }),
  });
});

afterAll(async () => {
  await sandbox?.close();
  await stores?.close();
  await mongo?.stop();
});

describe('bad input: configs', () => {
  const cases = [...fixtureCases(), ...hostileConfigs()];
  let before: unknown;
  let refused = 0;

  beforeAll(async () => {
    before = await storeSnapshot();
  });

  it('has at least 50 malformed or hostile configs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((c) => [c.name, c] as const))('refuses %s with a precise message', async (_name, { config, problem }) => {
    source.raw = aimedAtSandbox(config, sandbox.baseUrl);
    const error = await service.runNow('any').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    evidence.addError(error);
    expect(error).toBeInstanceOf(InvalidConfigError);
    const problems = (error as InvalidConfigError).problems;
    expect(problems[0]).toEqual({ pointer: problem.pointer, message: expect.stringContaining(problem.message) });
    refused++;
  });

  it('read and wrote nothing: no request reached Mailchimp, the stores are as they were, no prototype changed', async () => {
    expect(sandbox.admin.counters().total).toBe(0);
    expect(await storeSnapshot()).toEqual(before);
    // The history holds one refused run per config, with its reason, and nothing else.
    const runs = await stores.db.collection(STATE_COLLECTIONS.runs).find().toArray();
    expect(runs).toHaveLength(refused);
    expect(runs.every((run) => run.status === 'refused' && typeof run.error === 'string' && run.goals.length === 0)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    recordFigures('bad-input-configs', { configs: cases.length, fixtures: fixtureCases().length, hostile: hostileConfigs().length, refused });
  });
});
