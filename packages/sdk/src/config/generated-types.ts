/* Generated from the JSON Schemas by scripts/generate-config-types.mjs. Do not edit by hand. */

/**
 * When the connection runs by itself; without it, only on request (cdp run, Run now).
 */
export type Schedule = TimesPerDaySchedule | DaysOfWeekSchedule | DaysOfMonthSchedule | WeekdayOfMonthSchedule;
/**
 * Local times of day (HH:mm) the connection runs at.
 *
 * @minItems 1
 * @maxItems 48
 *
 * Items: A local time of day, HH:mm (24 hours).
 */
export type Times = string[];
/**
 * Local times of day (HH:mm) the connection runs at.
 *
 * @minItems 1
 * @maxItems 48
 *
 * Items: A local time of day, HH:mm (24 hours).
 */
export type Times1 = string[];
/**
 * Local times of day (HH:mm) the connection runs at.
 *
 * @minItems 1
 * @maxItems 48
 *
 * Items: A local time of day, HH:mm (24 hours).
 */
export type Times2 = string[];
/**
 * Where a run's outcome is sent: a summary POSTed to a webhook, or an email through an SMTP server.
 */
export type NotificationTarget = WebhookTarget | EmailTarget;
/**
 * The objectives a subscribed member's new profile consents to.
 *
 * @maxItems 100
 */
export type Objectives = string[];
/**
 * The objectives a pending member's new profile consents to (usually none: the opt-in is not confirmed).
 *
 * @maxItems 100
 */
export type Objectives1 = string[];
/**
 * The objectives an unsubscribed member's new profile consents to (usually none).
 *
 * @maxItems 100
 */
export type Objectives2 = string[];
/**
 * The objectives a cleaned (bouncing) member's new profile consents to (usually none).
 *
 * @maxItems 100
 */
export type Objectives3 = string[];
/**
 * A filter on one column: `eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `contains` (text: substring; array: element), `notContains`, `startsWith` with a value; `in`, `notIn` with a list; `isNull`, `isNotNull` without.
 */
export type SqlRule =
  | {
      /**
       * The column the rule tests.
       */
      column: string;
      /**
       * The comparison: eq, ne, lt, lte, gt, gte, contains, notContains or startsWith.
       */
      op: "eq" | "ne" | "lt" | "lte" | "gt" | "gte" | "contains" | "notContains" | "startsWith";
      /**
       * The value the column is compared with.
       */
      value: string | number | boolean;
    }
  | {
      /**
       * The column the rule tests.
       */
      column: string;
      /**
       * in: the column holds one of the values; notIn: none of them.
       */
      op: "in" | "notIn";
      /**
       * The values.
       *
       * @minItems 1
       * @maxItems 1000
       */
      value: (string | number | boolean)[];
    }
  | {
      /**
       * The column the rule tests.
       */
      column: string;
      /**
       * isNull: the column has no value; isNotNull: it has one.
       */
      op: "isNull" | "isNotNull";
    };
export type ExportMapping = PropertySource | SegmentsSource | TextSource | ProfileFieldSource;
/**
 * Only these segments, each optionally renamed; all of the profile's segments by default.
 *
 * @minItems 1
 * @maxItems 500
 */
export type SegmentSelection = {
  /**
   * One of the catalog's segments.
   */
  segment: string;
  /**
   * The name the segment is exported under; the segment's own by default.
   */
  as?: string;
}[];
/**
 * Segments to export, each optionally renamed; omitted means all the profile's segments.
 *
 * @minItems 1
 * @maxItems 500
 */
export type SegmentSelection1 = {
  /**
   * One of the catalog's segments.
   */
  segment: string;
  /**
   * The name the segment is exported under; the segment's own by default.
   */
  as?: string;
}[];
/**
 * One field mapping, for an import goal (member field → profile property) or an export goal (profile source → merge field).
 */
export type Mapping = ImportMapping | ExportMapping;
/**
 * When a connection runs, in an IANA time zone (DST handled).
 */
export type Schedule1 = TimesPerDaySchedule | DaysOfWeekSchedule | DaysOfMonthSchedule | WeekdayOfMonthSchedule;

/**
 * Every schema of this file, by name.
 */
export interface ConfigSchemas {
  connection?: Connection;
  "import-goal"?: ImportGoal;
  "export-goal"?: ExportGoal;
  mapping?: Mapping;
  schedule?: Schedule1;
  "notification-target"?: NotificationTarget;
}
/**
 * A connection between the CDP and one external system: its consent objectives, credentials, schedule and goals.
 */
export interface Connection {
  /**
   * Where editors find this schema, relative to the file (or a URL): they then check and complete the connection as it is typed.
   */
  $schema?: string;
  /**
   * The connection's id: runs, history, schedules and state are kept under it, so it never changes once the connection has run.
   */
  id: string;
  /**
   * A name for people, shown in reports, notifications and the console.
   */
  name: string;
  /**
   * What the connection is for, in a sentence or two.
   */
  description?: string;
  /**
   * Free labels to find and group connections by.
   *
   * @maxItems 50
   */
  labels?: string[];
  /**
   * Id of the registered connector, e.g. mailchimp.
   */
  connector: string;
  /**
   * false keeps the connection from running, scheduled or on request, without deleting it.
   */
  enabled: boolean;
  /**
   * Consent objectives: only profiles that consented to at least one of them are processed.
   *
   * @minItems 1
   * @maxItems 50
   */
  objectives: string[];
  /**
   * Credentials, in the form the connector's auth schema gives (for mailchimp: mailchimp-auth.schema.json); secrets are only referenced, as { "env": "NAME" }.
   */
  auth: {
    [k: string]: unknown | undefined;
  };
  /**
   * SQL databases that export goals may read profiles from (a goal's `source`), by name.
   */
  databases?: {
    [k: string]: SqlDatabase | undefined;
  };
  schedule?: Schedule;
  /**
   * Who hears about runs: webhooks and email recipients, each for failed runs or for every run.
   *
   * @maxItems 10
   */
  notify?: NotificationTarget[];
  /**
   * What the connection does: import goals bring members into profiles, export goals send profiles to audiences. Each runs on its own.
   *
   * @minItems 1
   * @maxItems 50
   */
  goals: (ImportGoal | ExportGoal)[];
}
export interface SqlDatabase {
  /**
   * The database's kind.
   */
  engine?: "postgresql";
  url: SecretRef;
}
/**
 * The connection URL (postgres://user:password@host:port/database), as a secret reference.
 */
export interface SecretRef {
  /**
   * The environment variable holding the secret; the operator decides which variables connections may name (CDP_SECRET_ENV).
   */
  env: string;
}
/**
 * N runs a day, evenly spaced from a start time.
 */
export interface TimesPerDaySchedule {
  /**
   * timesPerDay: N runs a day, evenly spaced from `start`.
   */
  type: "timesPerDay";
  /**
   * IANA time zone the times are in; runs follow its daylight saving time.
   */
  timeZone: string;
  /**
   * How many runs a day (96 at most: every 15 minutes).
   */
  timesPerDay: number;
  /**
   * The local time of the day's first run.
   */
  start?: string;
}
export interface DaysOfWeekSchedule {
  /**
   * daysOfWeek: on these weekdays at these times.
   */
  type: "daysOfWeek";
  /**
   * IANA time zone the times are in; runs follow its daylight saving time.
   */
  timeZone: string;
  /**
   * The weekdays the connection runs on.
   *
   * @minItems 1
   * @maxItems 7
   */
  days: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
  at: Times;
}
export interface DaysOfMonthSchedule {
  /**
   * daysOfMonth: on these days of the month at these times.
   */
  type: "daysOfMonth";
  /**
   * IANA time zone the times are in; runs follow its daylight saving time.
   */
  timeZone: string;
  /**
   * The days of the month (1-31) the connection runs on.
   *
   * @minItems 1
   * @maxItems 31
   */
  days: number[];
  /**
   * Months (1-12) the schedule runs in; omitted means every month.
   *
   * @minItems 1
   * @maxItems 12
   */
  months?: number[];
  /**
   * For a day a month lacks (e.g. 31 in April): skip that month, or run on its last day.
   */
  whenDayMissing?: "skip" | "lastDay";
  at: Times1;
}
/**
 * E.g. the second Tuesday or the last Friday of each month.
 */
export interface WeekdayOfMonthSchedule {
  /**
   * weekdayOfMonth: on one weekday of the month (the second Tuesday, the last Friday) at these times.
   */
  type: "weekdayOfMonth";
  /**
   * IANA time zone the times are in; runs follow its daylight saving time.
   */
  timeZone: string;
  /**
   * Which occurrence of the weekday in the month.
   */
  week: "first" | "second" | "third" | "fourth" | "last";
  /**
   * The weekday.
   */
  weekday: "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
  at: Times2;
}
/**
 * Where a run summary is POSTed.
 */
export interface WebhookTarget {
  /**
   * webhook: the run summary is POSTed as JSON to `url`.
   */
  type: "webhook";
  /**
   * Where the summary is POSTed. Loopback and private addresses are refused unless the operator allows them.
   */
  url: string;
  /**
   * failure: only runs that did not succeed (failed, partial, refused, interrupted); always: every run.
   */
  on?: "failure" | "always";
  signingSecret?: SecretRef1;
}
/**
 * Signs the body with HMAC-SHA256 in the X-CDP-Signature header.
 */
export interface SecretRef1 {
  /**
   * The environment variable holding the secret; the operator decides which variables connections may name (CDP_SECRET_ENV).
   */
  env: string;
}
/**
 * Who is emailed about runs, through which SMTP server: a message per run that did not succeed (or every run), and optionally a daily digest.
 */
export interface EmailTarget {
  /**
   * email: a message through an SMTP server.
   */
  type: "email";
  smtp: Smtp;
  /**
   * The sender address of the messages.
   */
  from: string;
  /**
   * The recipients of every message.
   *
   * @minItems 1
   * @maxItems 20
   */
  to: string[];
  /**
   * failure: only runs that did not succeed (failed, partial, refused, interrupted); always: every run.
   */
  on?: "failure" | "always";
  /**
   * Also one message a day, at this local time, summing up the connection's runs of the past 24 hours (sent by the host's digest timer, e.g. the scheduler worker).
   */
  digest?: {
    /**
     * A local time of day, HH:mm (24 hours).
     */
    at: string;
    /**
     * IANA time zone of `at`, e.g. Europe/Amsterdam.
     */
    timeZone: string;
  };
}
/**
 * The SMTP server messages are handed to.
 */
export interface Smtp {
  /**
   * The SMTP server's host name or address.
   */
  host: string;
  /**
   * The SMTP server's port; default 465 with security tls, 587 otherwise.
   */
  port?: number;
  /**
   * tls: TLS from the first byte (usually port 465); starttls: the connection must be upgraded to TLS before anything is sent (usually 587); none: plain text, only for a relay on the host's own network.
   */
  security?: "tls" | "starttls" | "none";
  /**
   * The SMTP login; with it, a password is required.
   */
  username?: string;
  password?: SecretRef2;
}
/**
 * The SMTP password, read from this environment variable at run time.
 */
export interface SecretRef2 {
  /**
   * The environment variable holding the secret; the operator decides which variables connections may name (CDP_SECRET_ENV).
   */
  env: string;
}
/**
 * Reads audience members and updates (or creates) profiles.
 */
export interface ImportGoal {
  /**
   * A short identifier: lowercase letters, digits, '-' and '_'.
   */
  id: string;
  /**
   * import: members of audiences update (or create) profiles.
   */
  kind: "import";
  /**
   * A name for people, shown in reports.
   */
  name?: string;
  /**
   * false skips the goal in every run.
   */
  enabled?: boolean;
  /**
   * The Mailchimp audiences whose members are read.
   *
   * @minItems 1
   * @maxItems 50
   */
  audiences: {
    /**
     * The audience's id (Mailchimp's list id).
     */
    id: string;
    /**
     * Create profiles for members that match none; otherwise only update existing ones.
     */
    createProfiles?: boolean;
  }[];
  /**
   * Only members with one of these statuses are read.
   *
   * @minItems 1
   * @maxItems 4
   */
  statuses?: ("subscribed" | "unsubscribed" | "pending" | "cleaned")[];
  /**
   * Only members carrying at least one of these tags.
   *
   * @minItems 1
   * @maxItems 100
   */
  tags?: string[];
  /**
   * Unique-identifier profile property matched with the member's email.
   */
  identifier: string;
  /**
   * What the identifier property holds: the email (default), the MD5 hash of the lowercased email as some CDPs store it (Mailchimp's subscriber hash), or either. A profile this import creates gets the email, or the hash when the format is md5.
   */
  identifierFormat?: "email" | "md5" | "emailOrMd5";
  /**
   * Members read per request. Smaller pages answer faster and hold less in memory; each page re-reads up to 50 members at its start to survive members changing during the read, hence at least 100.
   */
  pageSize?: number;
  /**
   * Property that collects the names of the audiences that enriched the profile.
   */
  saveAudiencesTo?: string;
  /**
   * Which member field goes into which profile property, and how. `cdp mappings suggest` proposes them from the audience's merge fields.
   *
   * @maxItems 200
   */
  mappings: ImportMapping[];
  /**
   * Marketing permissions (GDPR fields) read back into consent, opt-in only: a profile this import creates also consents to the objective of each mapped permission its member has enabled (a disabled permission grants nothing). An existing profile's consent stays the CDP's.
   *
   * @minItems 1
   * @maxItems 20
   */
  marketingPermissions?: {
    /**
     * The marketing permission's id, or its text as the audience shows it (e.g. Email).
     */
    permission: string;
    /**
     * One of the connection's objectives.
     */
    objective: string;
  }[];
  /**
   * The consent a profile created by this import carries, by the member's Mailchimp status: which of the connection's objectives that status grants. None by default, and a profile is created only for a member whose status grants at least one: a subscription is consent to what the person subscribed to, never to more.
   */
  grantedObjectives?: {
    subscribed?: Objectives;
    pending?: Objectives1;
    unsubscribed?: Objectives2;
    cleaned?: Objectives3;
  };
}
export interface ImportMapping {
  /**
   * Path of the member field, e.g. merge_fields.FNAME, email_address, status, tags, stats.avg_open_rate, location.country_code.
   */
  from: string;
  /**
   * Only with from "interests": the title of the interest category whose interests the member is in are read, as their names (e.g. "Customer type" gives ["VIP"]).
   */
  category?: string;
  /**
   * The profile property that receives the value.
   */
  to: string;
  /**
   * set: replace; setIfEmpty: only when the profile has no value; add: add to the multi-value set; sum: add a number to the profile's number.
   */
  mode: "set" | "setIfEmpty" | "add" | "sum";
}
/**
 * Sends the profiles of a segment to audiences as members.
 */
export interface ExportGoal {
  /**
   * A short identifier: lowercase letters, digits, '-' and '_'.
   */
  id: string;
  /**
   * export: profiles of a segment become members of audiences.
   */
  kind: "export";
  /**
   * A name for people, shown in reports.
   */
  name?: string;
  /**
   * false skips the goal in every run.
   */
  enabled?: boolean;
  /**
   * The CDP segment whose profiles are sent (one of the catalog's segments).
   */
  segment: string;
  source?: SqlSource;
  /**
   * Only profiles at this stage of this lifecycle.
   */
  lifecycleStage?: {
    /**
     * One of the catalog's lifecycles.
     */
    lifecycle: string;
    /**
     * One of that lifecycle's stages.
     */
    stage: string;
  };
  /**
   * The Mailchimp audiences (list ids) every profile of the segment is sent to.
   *
   * @minItems 1
   * @maxItems 50
   */
  audiences: string[];
  /**
   * A profile property name. No '$', '.', or prototype keys, so names can never act as query operators or object-prototype paths.
   */
  identifier: string;
  /**
   * Emails never sent, by pattern: '*' stands for any run of characters, matched case-insensitively against the whole trimmed email. A pattern with nothing after '@' (noreply@) matches that local part at any domain; one with nothing before it (@competitor.com) any local part. Matching profiles are counted excludedEmail.
   */
  excludeEmails?: {
    /**
     * The patterns: an email matching any of them is never sent.
     *
     * @minItems 1
     * @maxItems 500
     */
    patterns: string[];
    /**
     * A dry run (cdp test) warns about a pattern that matches more than this share of the segment's profiles with a valid email.
     */
    warnAboveShare?: number;
  };
  /**
   * Which merge field gets what: a profile property, the profile's segments, a fixed text, or a profile field. `cdp mappings suggest` proposes them from the audience's merge fields.
   *
   * @maxItems 100
   */
  mappings: ExportMapping[];
  /**
   * Also send segments as member tags: all of the profile's segments, or a selection (optionally renamed).
   */
  segmentTags?: "all" | SegmentSelection1;
  /**
   * Interest groups the goal manages, by category title and interest name (ids differ from audience to audience): the interest is set on the member when the profile is in the segment, or its property holds the value, and cleared otherwise.
   *
   * @minItems 1
   * @maxItems 100
   */
  interests?: (InterestBySegment | InterestByProperty)[];
  /**
   * Marketing permissions (GDPR fields) the goal manages: a permission is enabled when the profile consents to one of the objectives mapped to it, and disabled otherwise. The audiences need marketing permissions.
   *
   * @minItems 1
   * @maxItems 20
   */
  marketingPermissions?: {
    /**
     * One of the connection's objectives.
     */
    objective: string;
    /**
     * The marketing permission's id, or its text as the audience shows it (e.g. Email).
     */
    permission: string;
  }[];
  /**
   * Which members the goal writes: createAndUpdate (the default) creates members for new profiles and updates existing ones; updateOnly only updates existing members (the others are counted notFound); createOnly only creates new members and leaves existing ones untouched (counted exists).
   */
  writeMode?: "createAndUpdate" | "updateOnly" | "createOnly";
  /**
   * The former switch of writeMode: false is writeMode updateOnly, true createAndUpdate. Accepted alone; refused together with writeMode.
   */
  createMembers?: boolean;
  /**
   * The status of members this goal creates: subscribed, or pending (Mailchimp then sends its double opt-in email).
   */
  newMemberStatus?: "subscribed" | "pending";
  /**
   * Create merge fields the audience lacks (as text fields) before sending.
   */
  createMissingMergeFields?: boolean;
  /**
   * Keep the audience in sync with the segment by removing members not in it.
   */
  removeNonSegmentMembers?: {
    /**
     * How a member no longer in the segment is removed: archived (it can come back), or unsubscribed.
     */
    action?: "archive" | "unsubscribe";
    /**
     * Removal brake: refuse to remove more than this share of the audience in one run unless forced.
     */
    maxRemovalShare?: number;
  };
  /**
   * What happens to a member this goal wrote when its profile no longer consents to any of the connection's objectives, or is deleted from the CDP: unsubscribe it, archive it, or keep it as it is. Nobody is ever re-subscribed.
   */
  onConsentWithdrawn?: "unsubscribe" | "archive" | "keep";
  /**
   * What happens to a member this goal wrote whose profile was deleted (erased) from the CDP, when no other profile holds its email: withdraw (the default) does what onConsentWithdrawn says; deletePermanently deletes the member permanently (irreversible: Mailchimp refuses to import the email again, only the person can subscribe again).
   */
  onProfileDeleted?: "withdraw" | "deletePermanently";
  /**
   * Mailchimp events that count as touchpoints for the profile's current lifecycle stage.
   */
  lifecycleThreshold?: {
    /**
     * The events counted: campaigns sent to the member, opened, or clicked.
     *
     * @minItems 1
     * @maxItems 3
     */
    events: ("sent" | "open" | "click")[];
  };
  /**
   * Members per batch call (Mailchimp allows 500).
   */
  batchSize?: number;
}
/**
 * Read the profiles from a SQL table or query of one of the connection's databases instead of the CDP's profile store (the default).
 */
export interface SqlSource {
  /**
   * A short identifier: lowercase letters, digits, '-' and '_'.
   */
  database: string;
  /**
   * The table's schema (PostgreSQL: search_path by default, usually public).
   */
  schema?: string;
  /**
   * The table (or view) whose rows are the profiles.
   */
  table?: string;
  /**
   * A query whose rows are the profiles, run as a subquery in a read-only transaction; the columns below name its output columns.
   */
  query?: string;
  /**
   * Which columns hold what.
   */
  columns: {
    /**
     * A unique, stable row id (text, integer or uuid): the profile id.
     */
    id: string;
    /**
     * The email address (text), sent as the member's email and held as the goal's identifier property.
     */
    email: string;
    /**
     * When the row last changed (timestamp with or without time zone, read as UTC, or date): runs then read only the rows changed since the last run (less the overlap). Without it, every run reads every row and sends only what changed.
     */
    updatedAt?: string;
    /**
     * Segment membership: a boolean column (true: in the goal's segment), or a text or text-array column holding segment names (in the goal's segment when it holds its name; the names are the profile's segments, for segment tags and mappings).
     */
    segments?: string;
    /**
     * Profile properties the goal's mappings may read: property name to column (text, numbers, booleans, dates, or arrays of them).
     */
    properties?: {
      [k: string]: string | undefined;
    };
  };
  /**
   * Which of the connection's objectives a row consents to: a boolean column granting `objectives` when true, or a text or text-array column holding objective names (then no `objectives`).
   */
  consent: {
    /**
     * The column saying what the row consents to.
     */
    column: string;
    /**
     * With a boolean column: the objectives a true value grants.
     *
     * @minItems 1
     * @maxItems 50
     */
    objectives?: string[];
  };
  /**
   * Only rows for which every rule holds are in the goal's segment.
   *
   * @maxItems 50
   */
  rules?: SqlRule[];
  /**
   * A delta run reads the rows changed since the last run less this much, for rows committed late and clocks that differ; rows read twice whose member payload did not change are not sent again.
   */
  overlapSeconds?: number;
  /**
   * Statement timeout of every query the source runs.
   */
  timeoutSeconds?: number;
}
export interface PropertySource {
  /**
   * property: the value of a profile property.
   */
  source: "property";
  /**
   * A profile property name. No '$', '.', or prototype keys, so names can never act as query operators or object-prototype paths.
   */
  property: string;
  /**
   * The merge field (tag) that receives the value.
   */
  to: string;
  /**
   * Joins several values into the merge field's one text.
   */
  separator?: string;
}
export interface SegmentsSource {
  /**
   * segments: the profile's segments, as names.
   */
  source: "segments";
  select?: SegmentSelection;
  /**
   * The merge field (tag) that receives the value.
   */
  to: string;
  /**
   * Joins several values into the merge field's one text.
   */
  separator?: string;
}
export interface TextSource {
  /**
   * text: the same text for every member.
   */
  source: "text";
  /**
   * The text sent.
   */
  text: string;
  /**
   * The merge field (tag) that receives the value.
   */
  to: string;
}
/**
 * profileId, lifecycles (as lifecycle:stage), viewedInteractions or permissionLevel.
 */
export interface ProfileFieldSource {
  /**
   * profileId: the CDP's profile id; lifecycles: lifecycle:stage of each lifecycle; viewedInteractions; permissionLevel.
   */
  source: "profileId" | "lifecycles" | "viewedInteractions" | "permissionLevel";
  /**
   * The merge field (tag) that receives the value.
   */
  to: string;
  /**
   * Joins several values into the merge field's one text.
   */
  separator?: string;
}
export interface InterestBySegment {
  /**
   * The interest category's title (a group title in Mailchimp).
   */
  category: string;
  /**
   * The interest's name (a group name in Mailchimp).
   */
  interest: string;
  /**
   * The interest is set when the profile is in this segment.
   */
  segment: string;
}
export interface InterestByProperty {
  /**
   * The interest category's title (a group title in Mailchimp).
   */
  category: string;
  /**
   * The interest's name (a group name in Mailchimp).
   */
  interest: string;
  /**
   * A profile property name. No '$', '.', or prototype keys, so names can never act as query operators or object-prototype paths.
   */
  property: string;
  /**
   * The property value that sets the interest.
   */
  value: string | number | boolean;
}
