import type { Connection } from '../config/generated-types.js';
import type { AudienceInfo, ConnectorSession } from '../connector.js';
import { CdpError } from '../errors.js';
import type { Catalog } from '../ports/catalog.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { Clock, Logger } from '../ports/runtime-services.js';
import type { StateStore } from '../ports/state-store.js';
import type { AudienceReport } from '../report.js';

/** Progress of one goal, for progress bars and log lines. */
export interface GoalProgress {
  goalId: string;
  audienceId?: string;
  phase: 'read' | 'write' | 'remove';
  /** Records handled so far in this phase. */
  done: number;
  /** Records expected in this phase, when known. */
  total?: number;
}

export interface RunOptions {
  /** Count what a run would do, write nothing (neither to the external system nor to the stores). */
  dryRun?: boolean;
  /** Ignore watermarks and last-sent payloads: consider and send everything. */
  full?: boolean;
  /** Override the removal brake. */
  force?: boolean;
  /** Only these goals. */
  goalIds?: string[];
  /**
   * Only these profiles (a re-sync of one profile): export goals read them by id instead of streaming their
   * segment, still apply every filter, send them even when unchanged, and leave the watermark and the
   * audience's other members alone. Import goals are not run.
   */
  profileIds?: string[];
  onProgress?: (progress: GoalProgress) => void;
}

/** Everything one goal run needs: plain services, never the container. */
export interface GoalContext {
  connection: Connection;
  session: ConnectorSession;
  /** The audiences the connection's goals name, as the external system describes them (read once per run). */
  audiences: AudienceInfo[];
  profiles: ProfileStore;
  state: StateStore;
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  options: RunOptions;
  /** Aborted, with a `StopCause` as its reason, when the run must stop; goals stop between batches. */
  signal: AbortSignal;
  /** Removes every form of the secrets in use from a text that came from outside, before it is stored. */
  redact(text: string): string;
}

/** Why a run stops before its end: its caller interrupted it (Ctrl-C, shutdown), or another run took its lock. */
export type StopCause = 'interrupted' | 'lock_lost';

const STOP_CAUSES: Record<StopCause, string> = {
  interrupted: 'the run was interrupted',
  lock_lost: 'the run lost its lock to another run',
};

/** Throws, with the cause as its code, when the run was told to stop; `consequence` says what was left undone. */
export function throwIfStopped(signal: AbortSignal, consequence: string): void {
  if (!signal.aborted) return;
  const cause = signal.reason as StopCause;
  throw new CdpError(cause, `${STOP_CAUSES[cause]}; ${consequence}`);
}

/** Stops a goal whose run was interrupted or lost its lock, before its next read or write. */
export function throwIfLockLost(ctx: GoalContext): void {
  throwIfStopped(ctx.signal, 'stopped before writing more');
}

/** What a goal run produced: its audience reports, and the error that stopped it, if any. */
export interface GoalOutcome {
  audiences: AudienceReport[];
  error?: unknown;
}

/** At most this many failures are listed per audience in a report; the counters stay exact. */
export const MAX_LISTED_FAILURES = 100;
