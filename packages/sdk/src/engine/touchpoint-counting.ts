import type { ExportGoal } from '../config/generated-types.js';
import { normalizeEmail } from '../identifiers.js';
import { touchpointId, type TouchpointKey } from '../ports/state-store.js';
import { throwIfLockLost, type GoalContext } from './goal-context.js';
import { thresholdIndex, touchpointKeys } from './touchpoints.js';

/** Activity is counted up to here, per goal, in its own watermark, so the next run counts only newer events. */
const activityWatermark = (goalId: string): string => `${goalId}#activity`;

/**
 * Reads the audiences' activity (sends, opens, clicks) since the last count and adds one touchpoint per
 * configured event to the current stage of the profile it belongs to, in the period the event happened.
 * Counts are written once, after the whole read, and the watermark right after: a read that fails part way
 * writes nothing, so its rerun does not count the same events twice.
 */
export async function countTouchpoints(ctx: GoalContext, goal: ExportGoal, thresholds: ReturnType<typeof thresholdIndex>): Promise<void> {
  const events = goal.lifecycleThreshold!.events;
  const until = ctx.clock.now();
  const since = await ctx.state.getWatermark(ctx.connection.id, activityWatermark(goal.id));
  const lifecycle = goal.lifecycleStage?.lifecycle;
  const counts = new Map<string, { key: TouchpointKey; count: number }>();
  for (const audienceId of goal.audiences) {
    for await (const activities of ctx.session.members.readActivity(audienceId, since, events)) {
      const inWindow = activities.filter((a) => a.at <= until);
      const emails = [...new Set(inWindow.map((a) => normalizeEmail(a.email)))];
      const profiles = await ctx.profiles.findByIdentifier(goal.identifier, emails);
      const byEmail = new Map(
        profiles.flatMap((p) => (p.properties[goal.identifier] ?? []).map((v) => [normalizeEmail(String(v)), p] as const)),
      );
      for (const activity of inWindow) {
        const profile = byEmail.get(normalizeEmail(activity.email));
        if (!profile) continue;
        const positions = profile.lifecycles.filter((p) => !lifecycle || p.lifecycle === lifecycle);
        for (const { key } of touchpointKeys(profile.id, positions, thresholds, activity.at)) {
          const id = touchpointId(key);
          const entry = counts.get(id) ?? { key, count: 0 };
          entry.count++;
          counts.set(id, entry);
        }
      }
    }
  }
  throwIfLockLost(ctx);
  if (counts.size > 0) await ctx.state.addTouchpoints([...counts.values()]);
  await ctx.state.setWatermark(ctx.connection.id, activityWatermark(goal.id), until);
}
