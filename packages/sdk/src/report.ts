/** Why a profile or member was not written. */
export type SkipReason =
  | 'noIdentifier'
  | 'invalidIdentifier'
  | 'noConsent'
  | 'notInStage'
  | 'compliance'
  | 'threshold'
  /** Another profile of the same batch has this email: the first one is sent. */
  | 'excluded'
  /** The email matches one of the goal's `excludeEmails` patterns. */
  | 'excludedEmail'
  /** The member exists and the goal only creates members (`writeMode: "createOnly"`): left untouched. */
  | 'exists'
  | 'notFound'
  | 'invalidValue'
  /** The member was archived by someone else: it stays archived. */
  | 'archived';

export interface RecordFailure {
  /** The member's email or the profile id the failure belongs to. */
  record: string;
  reason: string;
}

/** What one goal did with one audience. */
export interface AudienceReport {
  audienceId: string;
  selected: number;
  created: number;
  updated: number;
  /** Skipped because the payload equals what was last sent (export) or the member version was already applied (import). */
  unchanged: number;
  removed: number;
  /** Members this connection had archived, brought back because their profile qualifies again. */
  restored: number;
  /** Members whose profile withdrew consent or was deleted, handled as the goal's `onConsentWithdrawn` says. */
  withdrawn: number;
  /** Members whose segment tags were taken off because the profile left those segments. */
  untagged: number;
  skipped: Partial<Record<SkipReason, number>>;
  failed: number;
  /** The first failures with the external system's reason (capped; `failed` holds the full count). */
  failures: RecordFailure[];
  /** Values cut to Mailchimp's limits: merge fields to 255 bytes, tag names to 100 characters. */
  truncated: number;
  /** Members whose profile was erased from the CDP, deleted permanently as the goal's `onProfileDeleted` says. */
  erased?: number;
  /** What a reader should look at although nothing failed, e.g. an exclusion pattern matching much of the segment. */
  warnings?: string[];
  /** Merge fields the audience lacks (export), and those created for it. */
  missingFields?: string[];
  createdFields?: string[];
  /** Set when membership sync was refused by the removal brake. */
  brake?: { wouldRemove: number; audienceSize: number; maxShare: number };
}

export type GoalStatus = 'succeeded' | 'failed';

export interface GoalReport {
  goalId: string;
  kind: 'import' | 'export';
  status: GoalStatus;
  error?: string;
  audiences: AudienceReport[];
  apiCalls: number;
  retries: number;
  startedAt: Date;
  durationMs: number;
}

/**
 * `refused`: the config no longer validates (or names an audience the account lacks), nothing ran;
 * `interrupted`: the run was stopped before it finished (Ctrl-C, shutdown, or its process ended).
 */
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'refused' | 'interrupted';
export type RunTrigger = 'manual' | 'schedule';

export interface RunReport {
  runId: string;
  connectionId: string;
  trigger: RunTrigger;
  dryRun: boolean;
  status: RunStatus;
  startedAt: Date;
  endedAt?: Date;
  goals: GoalReport[];
  /** Requests the whole run sent (its audience read and every goal's), and the retries among them. */
  apiCalls: number;
  retries: number;
  /** Unique profiles ever imported / exported through this connection. */
  dataExchange: { imported: number; exported: number };
  error?: string;
}

export function emptyAudienceReport(audienceId: string): AudienceReport {
  return {
    audienceId,
    selected: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    restored: 0,
    withdrawn: 0,
    untagged: 0,
    skipped: {},
    failed: 0,
    failures: [],
    truncated: 0,
  };
}
