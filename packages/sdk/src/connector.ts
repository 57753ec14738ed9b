import type { ConfigProblem } from './errors.js';
import type { Logger } from './ports/runtime-services.js';

/** An audience (list) of the external system, as `cdp audiences` and `cdp test` show it. */
export interface AudienceInfo {
  id: string;
  name: string;
  memberCount: number;
  /** Merge-field tags the audience defines. */
  fields: { tag: string; name: string; type: string }[];
  doubleOptIn?: boolean;
}

/** A member as read from the external system. */
export interface SourceMember {
  /** Stable member id (Mailchimp: MD5 of the lowercase email). */
  id: string;
  email?: string;
  /** Changes whenever the member changes (Mailchimp: `last_changed`). */
  version: string;
  /** The raw member; mappings read their `from` paths here. */
  fields: Record<string, unknown>;
}

export interface MemberQuery {
  statuses: string[];
  tags?: string[];
  /** Only members changed after this instant. */
  changedSince?: Date;
  /** Members per request; the connector's maximum when absent. */
  pageSize?: number;
}

/** The member a profile becomes: what an export writes. */
export interface MemberPayload {
  memberId: string;
  email: string;
  mergeFields: Record<string, string>;
  tags: string[];
  /**
   * Interests the goal manages, each set or cleared, named by category title and interest name; the engine
   * fills in each one's `id` in the audience written to before handing the payload to the connector.
   */
  interests?: { category: string; interest: string; subscribed: boolean; id?: string }[];
  /** Marketing permissions the goal manages (named by id or text), with the audience's `id` filled in likewise. */
  marketingPermissions?: { permission: string; enabled: boolean; id?: string }[];
}

/**
 * `archived`: the member is archived in the external system by someone else, and was left so. `exists`: the
 * member exists and the write only creates members (`updateExisting: false`), so it was left untouched.
 */
export type MemberOutcome = 'created' | 'updated' | 'compliance' | 'failed' | 'skipped' | 'archived' | 'exists';

export interface MemberResult {
  memberId: string;
  email: string;
  outcome: MemberOutcome;
  /** The external system's reason for a `compliance` or `failed` outcome. */
  reason?: string;
}

export interface UpsertOptions {
  createMembers: boolean;
  /** Whether existing members are updated (default true); false only creates new members (add-only). */
  updateExisting?: boolean;
  newMemberStatus: 'subscribed' | 'pending';
  /**
   * Members the connection has written before, so most likely still in the audience: a connector may update
   * them directly instead of trying to create them first (one call instead of two). A hint, not a promise.
   */
  knownMembers?: ReadonlySet<string>;
  /**
   * Members the connection archived earlier whose profile qualifies again: they are brought back with
   * `newMemberStatus` (Mailchimp refuses it for members that were unsubscribed or cleaned: compliance).
   */
  restoreMembers?: ReadonlySet<string>;
}

/** A member currently in an audience, for membership sync. */
export interface AudienceMember {
  id: string;
  email: string;
  status: string;
}

export type RemovalAction = 'archive' | 'unsubscribe';

/** Tags to take off one member; the member's other tags are left alone. */
export interface TagRemoval {
  memberId: string;
  email: string;
  tags: string[];
}

export type ActivityEvent = 'sent' | 'open' | 'click';

export interface MemberActivity {
  memberId: string;
  email: string;
  event: ActivityEvent;
  at: Date;
}

/** An interest category (a group title) of an audience, with its interests (groups). */
export interface InterestCategory {
  id: string;
  title: string;
  interests: { id: string; name: string }[];
}

/** A marketing permission (GDPR field) of an audience. */
export interface MarketingPermission {
  id: string;
  text: string;
}

/** Reads members (import side). */
export interface MemberSource {
  readMembers(audienceId: string, query: MemberQuery): AsyncIterable<SourceMember[]>;
}

/** Writes members (export side). */
export interface MemberDestination {
  /** Merge fields the audience lacks among `tags`; with `create`, creates them first. */
  ensureFields(audienceId: string, tags: string[], create: boolean): Promise<{ missing: string[]; created: string[] }>;
  /** Creates or updates members; never changes an existing member's status. One result per payload. */
  upsertMembers(audienceId: string, members: MemberPayload[], options: UpsertOptions): Promise<MemberResult[]>;
  /** Every member of the audience that is not archived, in pages. */
  listMembers(audienceId: string): AsyncIterable<AudienceMember[]>;
  /** The current status of a few members (one lookup each); members the audience lacks are absent. */
  memberStatuses(audienceId: string, memberIds: string[]): Promise<Map<string, string>>;
  removeMembers(audienceId: string, members: AudienceMember[], action: RemovalAction): Promise<MemberResult[]>;
  /**
   * Takes the named tags off members, in bulk (per tag, not per member); a tag the audience does not know is
   * already off. One result per removal: `updated`; `skipped` for a member not in the audience (nothing to take
   * off); or `failed` with the reason.
   */
  removeTags(audienceId: string, removals: TagRemoval[]): Promise<MemberResult[]>;
  /** Activity events (sends, opens, clicks) since an instant, for touchpoint counting. */
  readActivity(audienceId: string, since: Date | undefined, events: ActivityEvent[]): AsyncIterable<MemberActivity[]>;
  /** The audience's interest categories and their interests (for goals that map interests). */
  interestCategories?(audienceId: string): Promise<InterestCategory[]>;
  /**
   * The audience's marketing permissions: empty when it has none, undefined when it has some that cannot be
   * read yet (Mailchimp shows them only on members, and the audience has none).
   */
  marketingPermissions?(audienceId: string): Promise<MarketingPermission[] | undefined>;
  /**
   * Deletes members permanently (erasure): the external system forgets them and refuses to import them again.
   * One result per member: `updated` when deleted, `skipped` when there was no such member, `failed` with the reason.
   */
  deletePermanently?(audienceId: string, members: AudienceMember[]): Promise<MemberResult[]>;
}

/** Counters a session keeps for the run report. */
export interface CallStats {
  apiCalls: number;
  retries: number;
}

/** A live, authenticated connection to the external system. */
export interface ConnectorSession {
  /** Verifies that the credentials work; throws InvalidCredentialsError otherwise. */
  check(): Promise<void>;
  /** The account's audiences; with `ids`, only those (an id the account lacks is absent from the answer). */
  audiences(ids?: string[]): Promise<AudienceInfo[]>;
  members: MemberSource & MemberDestination;
  stats(): CallStats;
  close(): Promise<void>;
}

/**
 * Named leases every process sharing the host's state store sees (the primitive of the connections' run locks):
 * a connector limits what several workers do together with them, such as requests in flight per API key.
 */
export interface SharedLeases {
  /** Takes the lease `name` for `owner` unless another owner holds it; it expires after `leaseMs`. */
  acquire(name: string, owner: string, leaseMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
}

/** What a connector gets from the host when it connects: never the container, only plain services. */
export interface ConnectContext {
  /** Reads a secret reference (`{ env: NAME }`); the value must never be logged. */
  secret(ref: { env: string }): string;
  logger: Logger;
  /** Leases shared with the other processes of the deployment; absent where the host has no state store. */
  leases?: SharedLeases;
}

/** A pluggable connector: its id, its auth schema and how to open a session. */
export interface Connector<Auth = unknown> {
  id: string;
  title: string;
  /** JSON Schema (draft 2020-12, with `$id`) of `connection.auth`. */
  authSchema: object;
  goalKinds: ('import' | 'export')[];
  /**
   * Problems the host's own settings find in a schema-valid auth, such as a base URL the operator does not allow;
   * checked with the config, before any session. Pointers are the connection's (`/auth/…`).
   */
  authProblems?(auth: Auth): ConfigProblem[];
  connect(auth: Auth, context: ConnectContext): Promise<ConnectorSession>;
}
