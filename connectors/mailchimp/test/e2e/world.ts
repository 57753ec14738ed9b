import { startSandbox, type DumpedMember, type FaultConfig, type Sandbox, type SandboxOptions, type SeedList } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { StaticCatalog, type CatalogData, type Clock, type Connection, type Connector, type ExportGoal, type Profile, type ProfileStore, type RunOptions, type RunReport, type StateStore } from '@cdp/sdk';
import { openMongoStores, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { mongoBackend, postgresBackend, type MongoTestStores, type StoreBackend, type TestDatabase, type TestStores } from '../../../../test/support/store-backends.js';
import { createMailchimpConnector } from '../../src/index.js';

/** The API key the sandbox accepts in these tests; it must never appear in any output. */
export const API_KEY = '0123456789abcdef0123456789abcdef-us21';

export const CATALOG: CatalogData = {
  segments: ['newsletter', 'vip', 'churned'],
  properties: [
    { name: 'email', uniqueIdentifier: true },
    { name: 'firstName' },
    { name: 'lastName' },
    { name: 'city' },
    { name: 'bio' },
    { name: 'score' },
    { name: 'interests' },
    { name: 'status' },
    { name: 'audiences' },
    { name: 'country' },
    { name: 'openRate' },
    { name: 'signedUpAt' },
  ],
  objectives: ['newsletter', 'analytics'],
  lifecycles: [
    {
      id: 'onboarding',
      stages: [{ id: 'new', threshold: { max: 2, per: 'week' } }, { id: 'active' }],
    },
  ],
};

/** A profile with sensible defaults; consented to the newsletter objective and in the newsletter segment. */
export function profile(id: string, email: string | undefined, overrides: Partial<Profile> = {}): Profile {
  return {
    id,
    properties: email === undefined ? {} : { email: [email] },
    segments: ['newsletter'],
    lifecycles: [],
    viewedInteractions: [],
    consent: { objectives: ['newsletter'] },
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

export interface WorldOptions {
  lists: SeedList[];
  profiles?: Profile[];
  goals: Connection['goals'];
  faults?: FaultConfig;
  clock?: Clock;
  /** Database name; one per world so tests never share state. */
  database: string;
  /** The connector under test; the default Mailchimp connector unless a test tunes its limits. */
  connector?: Connector;
  /** Sees every API answer the sandbox writes (e.g. to inject a fault at a chosen point). */
  onResponse?: SandboxOptions['onResponse'];
  /** The connection's objectives; `newsletter` alone by default. */
  objectives?: string[];
}

/** The stores a world runs on: MongoDB's or PostgreSQL's, over the wire. */
export interface WorldStores {
  profiles: ProfileStore;
  state: StateStore;
  close(): Promise<void>;
}

/**
 * One real stack per test: the Mailchimp sandbox on loopback, the stores over the wire, the Mailchimp connector
 * over the official client, and the run service of the composition root.
 */
export class World<S extends WorldStores = MongoStores> {
  readonly service: RunService;
  readonly connections: StaticConnectionSource;
  /** Every line the run service logged, for secret checks. */
  readonly logLines: string[] = [];

  private constructor(
    readonly sandbox: Sandbox,
    readonly stores: S,
    private readonly options: Omit<WorldOptions, 'database'>,
  ) {
    this.connections = new StaticConnectionSource([connectionConfig(sandbox, options.goals, options.objectives)]);
    this.service = this.serviceOver(stores.profiles);
  }

  /** A world on the MongoDB server `mongo`, in the database the options name. */
  static start(mongo: EmbeddedMongo, options: WorldOptions): Promise<World> {
    return World.over(options, () => openMongoStores(mongo.uri, { database: options.database, uniqueIdentifiers: ['email'], clock: options.clock }));
  }

  /** A world on the stores `open` connects to, holding the options' profiles. */
  static async over<S extends WorldStores>(options: Omit<WorldOptions, 'database'>, open: () => Promise<S>): Promise<World<S>> {
    const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: options.lists }, faults: options.faults, onResponse: options.onResponse });
    const stores = await open();
    if (options.profiles?.length) await stores.profiles.upsertProfiles(options.profiles);
    return new World(sandbox, stores, options);
  }

  /** A run service of this world whose profile store is `profiles` (e.g. one that fails on purpose), and state store `state`. */
  serviceOver(profiles: ProfileStore, state: StateStore = this.stores.state): RunService {
    return createRunService({
      profiles,
      state,
      catalog: new StaticCatalog(CATALOG),
      connections: this.connections,
      connectors: [this.options.connector ?? createMailchimpConnector({ allowedBaseUrls: [this.sandbox.baseUrl] })],
      secrets: environmentSecrets({ MAILCHIMP_API_KEY: API_KEY }),
      clock: this.options.clock,
      logger: { log: (level, message, fields) => this.logLines.push(JSON.stringify({ level, message, fields })) },
    });
  }

  run(options: RunOptions = {}): Promise<RunReport> {
    return this.service.runNow('e2e', options);
  }

  /** Replaces the connection's goals (the next run validates and uses them). */
  setGoals(goals: Connection['goals']): void {
    this.connections.put(connectionConfig(this.sandbox, goals, this.options.objectives));
  }

  members(listId: string): DumpedMember[] {
    const list = this.sandbox.admin.dump().lists.find((l) => l.id === listId);
    if (!list) throw new Error(`no list ${listId} in the sandbox`);
    return list.members;
  }

  member(listId: string, email: string): DumpedMember | undefined {
    return this.members(listId).find((m) => m.email_address.toLowerCase() === email.toLowerCase());
  }

  /** Write calls (non-GET requests) the sandbox has answered since the last reset. */
  writeCalls(): number {
    return this.sandbox.admin.counters().writes;
  }

  async close(): Promise<void> {
    await this.sandbox.close();
    await this.stores.close();
  }
}

function connectionConfig(sandbox: Sandbox, goals: Connection['goals'], objectives = ['newsletter']): Connection {
  return {
    id: 'e2e',
    name: 'End-to-end',
    connector: 'mailchimp',
    enabled: true,
    objectives,
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl: sandbox.baseUrl },
    goals,
  };
}

/** The first goal report's first audience. */
export function audienceReport(report: RunReport, goalIndex = 0, audienceIndex = 0) {
  return report.goals[goalIndex].audiences[audienceIndex];
}

/** The export goal the end-to-end tests vary: the newsletter segment into audience news1, first name to FNAME. */
export function newsletterExport(overrides: Partial<ExportGoal> = {}): ExportGoal {
  return {
    id: 'to-newsletter',
    kind: 'export',
    segment: 'newsletter',
    audiences: ['news1'],
    identifier: 'email',
    mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }],
    ...overrides,
  };
}

export type StoreBackendName = StoreBackend['name'];

/** The backend the worlds of this test file run on; `runWorldsOn` changes it. */
let fileBackend: StoreBackendName = 'MongoDB';

/**
 * Runs the worlds of this test file on `backend`. Called by a file that imports another test file to run its tests
 * again on that backend (see `export.postgres.test.ts`), before that import; jest loads each test file's modules
 * apart, so the choice stays within the file.
 */
export function runWorldsOn(backend: StoreBackendName): void {
  fileBackend = backend;
}

/**
 * The worlds of one test file: one server for the file, a database of its own per world, and the world of the
 * running test closed after it. Create it at the top of the file (it registers jest hooks): `new Worlds(name)` for
 * worlds on MongoDB, `Worlds.onFileBackend(name)` for worlds on the backend the file runs on (`runWorldsOn`).
 */
export class Worlds<S extends TestStores = MongoTestStores> {
  /** The world of the running test, if it started one. */
  current: World<S> | undefined;
  /** The databases of the running test's worlds. */
  private databases: TestDatabase<S>[] = [];
  /** The backend of a world on a server the test gave (`start(options, mongo)`), stopped after that test. */
  private own: StoreBackend<S> | undefined;

  constructor(
    private readonly name: string,
    private readonly backend: StoreBackend<S> = mongoBackend(name) as unknown as StoreBackend<S>,
  ) {
    beforeAll(() => this.backend.start());
    afterEach(async () => {
      try {
        await this.current?.close();
        for (const database of this.databases.splice(0)) await database.close();
      } finally {
        await this.own?.stop();
        this.current = this.own = undefined;
      }
    });
    afterAll(() => this.backend.stop());
  }

  /** Worlds on the backend this file runs on: MongoDB unless `runWorldsOn` chose PostgreSQL. */
  static onFileBackend(name: string): Worlds<TestStores> {
    return new Worlds<TestStores>(name, fileBackend === 'PostgreSQL' ? postgresBackend() : mongoBackend(name));
  }

  /** Starts the test's world, on the file's server, or on `mongo` (worlds on MongoDB only) when the test gives one. */
  async start(options: Omit<WorldOptions, 'database'>, mongo?: EmbeddedMongo): Promise<World<S>> {
    let backend = this.backend;
    if (mongo) {
      if (backend.name !== 'MongoDB') throw new Error(`a MongoDB server given to worlds on ${backend.name}`);
      backend = this.own = mongoBackend(this.name, mongo) as unknown as StoreBackend<S>;
      await backend.start();
    }
    const database = await backend.database(this.name);
    this.databases.push(database);
    this.current = await World.over(options, () => database.open({ clock: options.clock }));
    return this.current;
  }
}
