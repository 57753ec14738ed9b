import type { MemberPayload } from '../connector.js';
import type { RunReport } from '../report.js';

/**
 * How an export goal took a member out of the active audience: what a returning profile must undo. `erased`:
 * deleted permanently because its profile was erased; the record keeps no payload and no profile id.
 */
export type MemberRemoval = 'archive' | 'unsubscribe' | 'keep' | 'erased';

/** Why a member is considered again by the next run although its profile did not change. */
export type RetryReason = 'threshold' | 'failed';

/** What one export goal last did with one member of one audience. */
export interface SentRecord {
  memberId: string;
  /** The profile the member was written for; absent for a member removed without ever being written. */
  profileId?: string;
  /** Fingerprint of the payload last sent; empty when what Mailchimp holds must be written again. */
  hash: string;
  /** The payload last sent: its tags are the tags this goal manages on the member. */
  payload?: MemberPayload;
  sentAt: Date;
  /** The last error for this member, if its last write failed. */
  lastError?: string;
  /** A write of this goal created or updated the member, and the goal has not archived it since. */
  inAudience?: boolean;
  /** The goal removed the member (membership sync, withdrawn consent), and how. */
  removed?: MemberRemoval;
  /** The next run considers the member's profile again, changed or not. */
  retry?: RetryReason;
  /** Failed writes in a row (retries stop after a few; the error stays recorded). */
  attempts?: number;
}

export type LockAnswer = { acquired: true } | { acquired: false; owner: string; since: Date; expiresAt: Date };

export interface RunQuery {
  connectionId: string;
  limit?: number;
  since?: Date;
  until?: Date;
}

export type ExchangeDirection = 'imported' | 'exported';

/** A touchpoint counter: profile × lifecycle stage × period (e.g. `2026-W48`, `2026-11`, `2026-Q4`). */
export interface TouchpointKey {
  profileId: string;
  lifecycle: string;
  stage: string;
  period: string;
}

/** Connection state: everything a run needs to be incremental, resumable and exclusive. */
export interface StateStore {
  getWatermark(connectionId: string, goalId: string): Promise<Date | undefined>;
  setWatermark(connectionId: string, goalId: string, at: Date): Promise<void>;

  /** Last-sent records for these members (missing ones are absent from the map). */
  getSent(connectionId: string, goalId: string, audienceId: string, memberIds: string[]): Promise<Map<string, SentRecord>>;
  putSent(connectionId: string, goalId: string, audienceId: string, records: SentRecord[]): Promise<void>;
  /** Every record of one goal and audience, in batches, in a stable order; memory stays flat. */
  streamSent(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]>;
  /** The records of one goal and audience written for these profiles (by `profileId`; an index serves it). */
  sentForProfiles(connectionId: string, goalId: string, audienceId: string, profileIds: string[]): Promise<SentRecord[]>;
  /** The records of one goal and audience waiting for a retry (`retry` set), in batches; an index serves it. */
  sentWaitingForRetry(connectionId: string, goalId: string, audienceId: string, batchSize: number): AsyncIterable<SentRecord[]>;

  /** Opaque resume point of a goal; cleared when the goal completes. */
  getCheckpoint<T = unknown>(connectionId: string, goalId: string): Promise<T | undefined>;
  putCheckpoint(connectionId: string, goalId: string, checkpoint: unknown): Promise<void>;
  clearCheckpoint(connectionId: string, goalId: string): Promise<void>;

  /** Inserts or replaces a run by `runId`. */
  saveRun(report: RunReport): Promise<void>;
  /** Newest first. */
  listRuns(query: RunQuery): Promise<RunReport[]>;

  /** Adds profile ids to the set of unique profiles exchanged; repeated ids count once. */
  addExchanged(connectionId: string, direction: ExchangeDirection, profileIds: string[]): Promise<void>;
  countExchanged(connectionId: string, direction: ExchangeDirection): Promise<number>;

  addTouchpoints(entries: { key: TouchpointKey; count: number }[]): Promise<void>;
  getTouchpoints(keys: TouchpointKey[]): Promise<Map<string, number>>;

  /**
   * Claims one scheduled run slot of a connection, atomically: the first caller gets true, every later one
   * false. With several scheduler workers, this makes each scheduled run happen once.
   */
  claimScheduledSlot(connectionId: string, slot: Date): Promise<boolean>;

  /**
   * Takes a named lease: a connection's run lock (named by the connection's id), or a lease a connector shares
   * between processes (`SharedLeases`). Refused while another owner's lease is live.
   */
  acquireLock(connectionId: string, owner: string, leaseMs: number): Promise<LockAnswer>;
  /** Extends the lease; false when the owner no longer holds it. */
  renewLock(connectionId: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseLock(connectionId: string, owner: string): Promise<void>;
}

/** The map key `getTouchpoints` uses for a touchpoint key. */
export function touchpointId(key: TouchpointKey): string {
  return `${key.profileId}|${key.lifecycle}|${key.stage}|${key.period}`;
}
