import type { ExportGoal } from '../config/generated-types.js';
import type { TagRemoval } from '../connector.js';
import type { AudienceFieldIds } from './audience-fields.js';
import type { AudienceTally } from './audience-tally.js';
import type { GoalContext } from './goal-context.js';
import type { TaskPool } from './task-pool.js';
import type { thresholdIndex } from './touchpoints.js';

/** One export goal's run: its context and what every batch shares. */
export interface ExportRun {
  ctx: GoalContext;
  goal: ExportGoal;
  tallies: AudienceTally[];
  thresholds: ReturnType<typeof thresholdIndex>;
  startedAt: Date;
  /** For a dry run: each audience's member statuses, so counts say what a run would do. */
  existing?: Map<string, Map<string, string>>;
  pool: TaskPool;
  /** Per audience, the ids of the interests and marketing permissions the goal names. */
  fieldIds?: Map<string, AudienceFieldIds>;
}

/** Takes tags off members and counts the result: removed, or failed with the reason. */
export async function removeTags(ctx: GoalContext, audienceId: string, removals: TagRemoval[], tally: AudienceTally): Promise<void> {
  for (const result of await ctx.session.members.removeTags(audienceId, removals)) {
    if (result.outcome === 'updated') tally.report.untagged++;
    if (result.outcome === 'failed') tally.fail(result.email, result.reason ?? 'tag removal failed');
  }
}
