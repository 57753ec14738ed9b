/** Public types of the sandbox: seed format, options, admin surface and dumped state. */

export type MemberStatus = 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';
export type WritableStatus = Exclude<MemberStatus, 'archived'>;

export type MergeFieldType =
  | 'text' | 'number' | 'address' | 'phone' | 'date' | 'url' | 'imageurl' | 'radio' | 'dropdown' | 'birthday' | 'zip';

export interface SeedMergeField {
  tag: string;
  name: string;
  type: MergeFieldType;
  required?: boolean;
  options?: { choices?: string[]; [key: string]: unknown };
}

export interface SeedMember {
  email_address: string;
  status: MemberStatus;
  merge_fields?: Record<string, unknown>;
  tags?: string[];
  last_changed?: string;
  timestamp_opt?: string;
  /** Interest ids the member is in (ids as the list's seeded interests get them, or as returned by the API). */
  interests?: Record<string, boolean>;
  /** Marketing permission ids the member has enabled. */
  marketing_permissions?: Record<string, boolean>;
}

/** An interest category (group title) of a list with its interests (group names); ids are given or generated. */
export interface SeedInterestCategory {
  id?: string;
  title: string;
  type?: 'checkboxes' | 'dropdown' | 'radio' | 'hidden';
  interests?: { id?: string; name: string }[];
}

/**
 * A marketing permission (GDPR field). Mailchimp has no API to create them: they come with the audience's
 * GDPR settings, so the sandbox takes them from the seed.
 */
export interface SeedMarketingPermission {
  marketing_permission_id?: string;
  text: string;
}

export interface SeedList {
  id: string;
  name: string;
  double_optin?: boolean;
  merge_fields?: SeedMergeField[];
  members?: SeedMember[];
  interest_categories?: SeedInterestCategory[];
  marketing_permissions?: SeedMarketingPermission[];
}

export type ActivityAction = 'open' | 'click' | 'bounce';

export interface SeedActivity {
  action: ActivityAction;
  timestamp: string;
}

export interface SeedCampaign {
  id: string;
  list_id: string;
  send_time: string;
  recipients: { email_address: string; activity?: SeedActivity[] }[];
}

export interface SandboxSeed {
  /** Accepted API keys (`<32 hex>-<dc>`). Empty or absent: any well-formed key is accepted. */
  apiKeys?: string[];
  lists?: SeedList[];
  campaigns?: SeedCampaign[];
}

export interface FaultConfig {
  /** Every /3.0 request is answered this long after it arrived, its processing included (at least its processing time). */
  latencyMs?: number;
  /** Shares (0..1) of /3.0 requests that get each fault; drawn from one seeded PRNG. */
  rate429?: number;
  retryAfterSeconds?: number;
  rate500?: number;
  rate503?: number;
  /** Share of requests whose socket is destroyed without an answer. */
  rateReset?: number;
  /** Share of requests answered only after `slowMs` (default 125 s, beyond the client's 120 s timeout). */
  rateSlow?: number;
  slowMs?: number;
  seed?: number;
  /**
   * A careless upstream: every error answered (a problem's detail, each batch item's error) ends with the
   * request's Authorization header and the API key in it, to prove a client stores and prints none of it.
   */
  echoCredentials?: boolean;
}

export interface SandboxOptions {
  /** 0 (default) picks a free port; the host is always 127.0.0.1. */
  port?: number;
  seed?: SandboxSeed;
  faults?: FaultConfig;
  /** Simultaneous in-flight requests allowed per API key; the next one gets 429. Default 10. */
  maxConnectionsPerKey?: number;
  /** Whether GET members without a `status` filter lists archived members. Default true. */
  archivedInDefaultListing?: boolean;
  /** Called with every /3.0 response the sandbox writes (used by conformance tests). */
  onResponse?: (exchange: RecordedResponse) => void;
  /** The OAuth 2 endpoints under /oauth2/ (authorize, token, metadata). */
  oauth?: SandboxOAuthOptions;
}

/** An app registered with Mailchimp for OAuth: its client id and secret, and its redirect URI when it has one. */
export interface SandboxOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri?: string;
}

export interface SandboxOAuthOptions {
  /** The registered apps. Absent: any client id and secret are accepted, with any redirect URI. */
  clients?: SandboxOAuthClient[];
  /** The data centre the metadata names (default us1). */
  dc?: string;
  /** The account name the allow page and the metadata show. */
  accountName?: string;
}

export interface RecordedResponse {
  method: string;
  /** Route template as in the OpenAPI spec, e.g. `/lists/{list_id}/members`; undefined when no route matched. */
  route: string | undefined;
  status: number;
  body: unknown;
}

export interface SandboxCounters {
  total: number;
  /** Keyed `METHOD /3.0/route/{param}`. */
  byRoute: Record<string, number>;
  /** Requests with a method other than GET. */
  writes: number;
  /** The most requests of one key in flight at once. */
  peakInFlight: number;
  /** Connections that carried API requests (a client that keeps its connections open opens few). */
  connections: number;
}

export interface ConfirmationEmail {
  list_id: string;
  email_address: string;
  sent_at: string;
}

export interface SandboxState {
  apiKeys: string[];
  lists: DumpedList[];
  campaigns: SeedCampaign[];
  /** Every double opt-in confirmation email the sandbox "sent". */
  confirmationEmails: ConfirmationEmail[];
}

export interface DumpedList {
  id: string;
  name: string;
  double_optin: boolean;
  merge_fields: Required<Pick<SeedMergeField, 'tag' | 'name' | 'type' | 'required'>>[];
  members: DumpedMember[];
  interest_categories: { id: string; title: string; type: string; interests: { id: string; name: string }[] }[];
  marketing_permissions: { marketing_permission_id: string; text: string }[];
  /** Subscriber hashes of permanently deleted members. */
  forgotten: string[];
}

export interface DumpedMember {
  id: string;
  email_address: string;
  status: MemberStatus;
  merge_fields: Record<string, unknown>;
  tags: string[];
  last_changed: string;
  timestamp_opt: string;
  timestamp_signup: string;
  interests: Record<string, boolean>;
  /** Marketing permission ids the member has enabled or disabled (absent: never set, shown disabled). */
  marketing_permissions: Record<string, boolean>;
}

export interface SandboxAdmin {
  /** Adds lists, members, campaigns and keys from a seed (lists with a known id are replaced). */
  seed(seed: SandboxSeed): void;
  dump(): SandboxState;
  /** Drops all data and keys (faults and counters are kept). */
  reset(): void;
  counters(): SandboxCounters;
  resetCounters(): void;
  setFaults(faults: FaultConfig): void;
  /** The person clicking the confirmation email: pending → subscribed. */
  confirmMember(listId: string, email: string): void;
  /** Appends activity for a recipient of a seeded campaign (added as a recipient if needed). */
  addActivity(campaignId: string, email: string, activity: SeedActivity[]): void;
  addCampaign(campaign: SeedCampaign): void;
}

export interface Sandbox {
  url: string;
  baseUrl: string;
  admin: SandboxAdmin;
  close(): Promise<void>;
}
