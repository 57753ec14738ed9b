import type { GoalProgress } from '@cdp/sdk';
import type { Output } from './output.js';
import { formatCount } from './table.js';

/** Redraws of a progress bar, and plain log lines, are at most this frequent. */
const BAR_INTERVAL_MS = 100;
const LINE_INTERVAL_MS = 2000;
const BAR_WIDTH = 24;

const UNITS: Record<GoalProgress['phase'], string> = { read: 'members read', write: 'profiles processed', remove: 'members checked' };

interface GoalState {
  startedAt: number;
  shownAt: number;
  last: GoalProgress;
}

/**
 * Shows run progress per goal: a bar redrawn in place on a terminal (records done / total, records per second),
 * and a plain line now and then otherwise, so logs of scheduled or piped runs stay readable.
 */
export class ProgressDisplay {
  private readonly goals = new Map<string, GoalState>();
  private current?: string;
  /** When the last event arrived: a new goal starts where the previous one left off (or at the run's start). */
  private lastEventAt: number;

  constructor(
    private readonly output: Output,
    private readonly now: () => number = Date.now,
  ) {
    this.lastEventAt = now();
  }

  /** For `RunOptions.onProgress`. */
  readonly update = (progress: GoalProgress): void => {
    const now = this.now();
    const known = this.goals.get(progress.goalId);
    const state: GoalState = known ?? { startedAt: this.lastEventAt, shownAt: 0, last: progress };
    state.last = progress;
    this.lastEventAt = now;
    this.goals.set(progress.goalId, state);
    const interval = this.output.interactive ? BAR_INTERVAL_MS : LINE_INTERVAL_MS;
    if (known && now - state.shownAt < interval) return;
    state.shownAt = now;
    if (this.output.interactive) {
      // A new goal keeps the finished bar of the previous one on its own line.
      if (this.current !== undefined && this.current !== progress.goalId) this.output.message('');
      this.current = progress.goalId;
      this.output.status(describe(state, now, true));
    } else {
      this.output.message(describe(state, now, false));
    }
  };

  /** Draws each goal's final figures; call once the run has ended. */
  finish(): void {
    const now = this.now();
    if (this.output.interactive) {
      if (this.current !== undefined) this.output.status(describe(this.goals.get(this.current)!, now, true));
      if (this.goals.size > 0) this.output.message('');
      return;
    }
    for (const state of this.goals.values()) if (state.shownAt < now) this.output.message(describe(state, now, false));
  }
}

function describe(state: GoalState, now: number, withBar: boolean): string {
  const { goalId, audienceId, phase, done, total } = state.last;
  const seconds = Math.max((now - state.startedAt) / 1000, 0.001);
  const rate = `${formatCount(Math.round(done / seconds))}/s`;
  const where = audienceId ? `${goalId} ${audienceId}` : goalId;
  const count = total === undefined ? formatCount(done) : `${formatCount(done)}/${formatCount(total)}`;
  const bar = withBar && total ? `${renderBar(done / total)} ` : '';
  return `${where}: ${bar}${count} ${UNITS[phase]}, ${rate}`;
}

function renderBar(share: number): string {
  const filled = Math.round(Math.min(Math.max(share, 0), 1) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}
