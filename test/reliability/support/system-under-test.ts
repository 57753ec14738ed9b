import type { DumpedMember, Sandbox, SeedList } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import {
  createLogger,
  InMemoryProfileStore,
  InMemoryStateStore,
  StaticCatalog,
  subscriberHash,
  type Clock,
  type Connection,
  type ExportGoal,
  type ImportGoal,
  type PatchResult,
  type Profile,
  type ProfilePatch,
  type ProfileStore,
  type RunReport,
  type SegmentQuery,
  type StateStore,
} from '@cdp/sdk';
import { openMongoStores } from '@cdp/store-mongodb';
import { createPool, openPostgresStores } from '@cdp/store-postgres';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { CATALOG } from '../../../connectors/mailchimp/test/e2e/world.js';
import { API_KEY, type Evidence } from './evidence.js';
import type { ConnectionSettings } from './model.js';
import { CONNECTION_ID, connectionTo } from './stack.js';

export const LIST_ID = 'news1';
export const EXPORT_GOAL = 'to-newsletter';
export const IMPORT_GOAL = 'from-newsletter';

export const LIST: Omit<SeedList, 'members'> = {
  id: LIST_ID,
  name: 'Newsletter',
  merge_fields: [
    { tag: 'FNAME', name: 'First name', type: 'text' },
    { tag: 'POINTS', name: 'Points', type: 'number' },
  ],
};

/** The connection under test: the segment out with its VIP tag, POINTS back into `score` as a sum. */
export function goalsFor(settings: ConnectionSettings, batchSize: number): Connection['goals'] {
  const exportGoal: ExportGoal = {
    id: EXPORT_GOAL,
    kind: 'export',
    segment: 'newsletter',
    audiences: [LIST_ID],
    identifier: 'email',
    mappings: [{ source: 'property', property: 'firstName', to: 'FNAME' }],
    segmentTags: [{ segment: 'vip', as: 'VIP' }],
    onConsentWithdrawn: settings.onConsentWithdrawn,
    batchSize,
    ...(settings.maxRemovalShare === undefined ? {} : { removeNonSegmentMembers: { action: 'archive', maxRemovalShare: settings.maxRemovalShare } }),
  };
  const importGoal: ImportGoal = {
    id: IMPORT_GOAL,
    kind: 'import',
    audiences: [{ id: LIST_ID, createProfiles: false }],
    statuses: ['subscribed'],
    identifier: 'email',
    mappings: [{ from: 'merge_fields.POINTS', to: 'score', mode: 'sum' }],
  };
  return settings.importFirst ? [importGoal, exportGoal] : [exportGoal, importGoal];
}

/** A pair of stores, plus what the ProfileStore port does not offer: deleting a profile as the CDP would. */
export interface Stores {
  profiles: ProfileStore;
  state: StateStore;
  deleteProfile(id: string): Promise<void>;
  close(): Promise<void>;
}

export function memoryStores(clock: Clock): Stores {
  const profiles = new InMemoryProfileStore(clock);
  return { profiles, state: new InMemoryStateStore(clock), deleteProfile: (id) => profiles.delete([id]), close: async () => {} };
}

/** Stores over the wire, in a database of their own. */
export async function mongoStores(uri: string, database: string, clock: Clock): Promise<Stores> {
  const stores = await openMongoStores(uri, { database, uniqueIdentifiers: ['email'], clock });
  return {
    profiles: stores.profiles,
    state: stores.state,
    deleteProfile: async (id) => void (await stores.db.collection('profiles').deleteOne({ _id: id as never })),
    close: () => stores.close(),
  };
}

/** PostgreSQL stores in a database of their own, created on the server and dropped on close. */
export async function postgresStores(serverUrl: string, database: string, clock: Clock): Promise<Stores> {
  const admin = createPool({ connectionString: serverUrl, max: 1 });
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const stores = await openPostgresStores(url.toString(), { uniqueIdentifiers: ['email'], clock });
  return {
    profiles: stores.profiles,
    state: stores.state,
    deleteProfile: async (id) => void (await stores.pool.query('DELETE FROM profiles WHERE id = $1', [id])),
    close: async () => {
      await stores.close();
      await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * The profile store a run sees. Armed, it dies after a number of calls (a batch of a segment stream counts as
 * one): that call and every later one of the run throw, as if the process had been killed there.
 */
export class KillableProfileStore implements ProfileStore {
  private callsLeft?: number;
  private dead = false;
  /** The last armed run really died before it ended. */
  killed = false;

  constructor(private readonly store: ProfileStore) {}

  killAfter(calls: number): void {
    this.callsLeft = calls;
    this.killed = false;
  }

  revive(): void {
    this.callsLeft = undefined;
    this.dead = false;
  }

  async *streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    for await (const batch of this.store.streamSegment(query)) {
      this.call();
      yield batch;
    }
  }

  findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    return this.guarded(() => this.store.findByIdentifier(property, values));
  }

  findById(ids: string[]): Promise<Profile[]> {
    return this.guarded(() => this.store.findById(ids));
  }

  changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    return this.guarded(() => this.store.changedSince(ids, since));
  }

  /** The store's change feed, when it keeps one (a batch counts as one call, as for the segment stream). */
  get changedIdsSince(): ProfileStore['changedIdsSince'] {
    const { store } = this;
    if (!store.changedIdsSince) return undefined;
    const call = () => this.call();
    return async function* (since, batchSize) {
      for await (const ids of store.changedIdsSince!(since, batchSize)) {
        call();
        yield ids;
      }
    };
  }

  get deletedSince(): ProfileStore['deletedSince'] {
    const { store } = this;
    if (!store.deletedSince) return undefined;
    return (since) => this.guarded(() => store.deletedSince!(since));
  }

  applyPatches(patches: ProfilePatch[]): Promise<PatchResult[]> {
    return this.guarded(() => this.store.applyPatches(patches));
  }

  upsertProfiles(profiles: Profile[]): Promise<void> {
    return this.guarded(() => this.store.upsertProfiles(profiles));
  }

  count(query?: { segment?: string }): Promise<number> {
    return this.guarded(() => this.store.count(query));
  }

  private async guarded<T>(call: () => Promise<T>): Promise<T> {
    this.call();
    return call();
  }

  private call(): void {
    if (this.callsLeft !== undefined && --this.callsLeft === 0) this.dead = this.killed = true;
    if (this.dead) throw new Error('process killed');
  }
}

/**
 * The real path for one sequence: the run service of the composition root over the given stores, the Mailchimp
 * connector over the official client, and the sandbox over HTTP, where a marketer acts through the API too.
 */
export class SystemUnderTest {
  readonly runStore: KillableProfileStore;
  readonly service: RunService;

  constructor(
    readonly sandbox: Sandbox,
    readonly stores: Stores,
    goals: Connection['goals'],
    clock: Clock,
    private readonly evidence: Evidence,
  ) {
    this.runStore = new KillableProfileStore(stores.profiles);
    const secrets = environmentSecrets({ MAILCHIMP_API_KEY: API_KEY });
    this.service = createRunService({
      profiles: this.runStore,
      state: stores.state,
      catalog: new StaticCatalog(CATALOG),
      connections: new StaticConnectionSource([connectionTo(sandbox.baseUrl, goals)]),
      connectors: [createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl] })],
      secrets,
      clock,
      logger: createLogger({ level: 'info', secrets: () => secrets.values(), write: (line) => evidence.add('log line', line) }),
    });
  }

  run(options: { full?: boolean; force?: boolean } = {}): Promise<RunReport> {
    return this.kept(this.service.runNow(CONNECTION_ID, options));
  }

  dryRun(): Promise<RunReport> {
    return this.kept(this.service.test(CONNECTION_ID));
  }

  /** Every report is evidence for the secrets check. */
  private async kept(run: Promise<RunReport>): Promise<RunReport> {
    const report = await run;
    this.evidence.add('report', report);
    return report;
  }

  members(): DumpedMember[] {
    return this.sandbox.admin.dump().lists.find((list) => list.id === LIST_ID)!.members;
  }

  async profiles(ids: string[]): Promise<Profile[]> {
    return this.stores.profiles.findById(ids);
  }

  /** What a person or a marketer does in Mailchimp, over the API. */
  async mailchimp(method: string, path: string, body?: object): Promise<void> {
    const response = await fetch(`${this.sandbox.baseUrl}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`marketer:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  }

  memberPath(email: string): string {
    return `/lists/${LIST_ID}/members/${subscriberHash(email)}`;
  }

  /** Everything the connection keeps between runs, read through the StateStore port. */
  async state(): Promise<unknown> {
    const { state } = this.stores;
    const sent = [];
    for await (const records of state.streamSent(CONNECTION_ID, EXPORT_GOAL, LIST_ID, 500)) sent.push(...records);
    return {
      watermarks: [await state.getWatermark(CONNECTION_ID, EXPORT_GOAL), await state.getWatermark(CONNECTION_ID, IMPORT_GOAL)],
      checkpoint: await state.getCheckpoint(CONNECTION_ID, IMPORT_GOAL),
      sent,
      runs: await state.listRuns({ connectionId: CONNECTION_ID }),
      exchanged: [await state.countExchanged(CONNECTION_ID, 'imported'), await state.countExchanged(CONNECTION_ID, 'exported')],
    };
  }
}
