import type { ExportGoal } from '../config/generated-types.js';
import type { AudienceMember, MemberResult, RemovalAction } from '../connector.js';
import { CdpError } from '../errors.js';
import { subscriberHash } from '../identifiers.js';
import type { SentRecord } from '../ports/state-store.js';
import type { AudienceTally } from './audience-tally.js';
import { throwIfLockLost, type GoalContext } from './goal-context.js';
import { qualify } from './qualify.js';

const DEFAULT_MAX_REMOVAL_SHARE = 0.2;

/** Statuses a removal can change: archiving takes any active member, unsubscribing only subscribed ones. */
const REMOVABLE: Record<RemovalAction, string[]> = {
  archive: ['subscribed', 'unsubscribed', 'transactional'],
  unsubscribe: ['subscribed'],
};

/** One audience's removals, decided before the run writes anything. */
export interface RemovalPlan {
  audienceId: string;
  toRemove: AudienceMember[];
  /** Members the action could remove at all: the brake's share is taken of these. */
  removable: number;
  segmentEmpty: boolean;
}

const GET_SENT_CHUNK = 1000;

/**
 * What an export goal that planned removals and did not complete them (braked, interrupted, failed) leaves for
 * the next run: each audience's removable count before its writes. Members that run created would otherwise
 * dilute the next run's share, and a rerun would remove what the brake held back. `finished`: the run that wrote
 * it ran to its end (braked); otherwise it stopped part way, and its own withdrawals must not shrink the count
 * its continuation weighs: that continuation finishes the same run.
 */
interface RemovalCheckpoint {
  removableBefore: Record<string, number>;
  finished?: boolean;
}

/**
 * Works out, from the segment and the audiences as they are before the run's writes, which members are not
 * (qualifying) profiles of the segment. The removal brake refuses to remove more than the configured share of
 * the members the action could remove, unless forced; an empty segment never removes anyone: it is far more
 * often a broken segment than an intended purge. A dry run and a run on the same data give the same verdict.
 */
export async function planRemovals(ctx: GoalContext, goal: ExportGoal, tallies: AudienceTally[]): Promise<RemovalPlan[]> {
  const settings = goal.removeNonSegmentMembers!;
  const keep = new Set<string>();
  let segmentSize = 0;
  for await (const profiles of ctx.profiles.streamSegment({ segment: goal.segment, batchSize: 1000 })) {
    for (const profile of profiles) {
      segmentSize++;
      const verdict = qualify(profile, goal, ctx.connection.objectives);
      if ('email' in verdict) keep.add(subscriberHash(verdict.email));
    }
  }
  const action = settings.action ?? 'archive';
  const checkpoint = await ctx.state.getCheckpoint<RemovalCheckpoint>(ctx.connection.id, goal.id);
  const before = checkpoint?.removableBefore ?? {};
  const plans: RemovalPlan[] = [];
  for (const [index, audienceId] of goal.audiences.entries()) {
    let removable = 0;
    const toRemove: AudienceMember[] = [];
    for await (const page of ctx.session.members.listMembers(audienceId)) {
      for (const member of page) {
        if (!REMOVABLE[action].includes(member.status)) continue;
        removable++;
        if (!keep.has(member.id)) toRemove.push(member);
      }
    }
    const plan = {
      audienceId,
      toRemove: await notRemovedBefore(ctx, goal, audienceId, toRemove),
      removable: checkpoint?.finished === false ? (before[audienceId] ?? removable) : Math.min(removable, before[audienceId] ?? Infinity),
      segmentEmpty: segmentSize === 0,
    };
    weighBrake(ctx, goal, plan, tallies[index]);
    plans.push(plan);
  }
  if (!ctx.options.dryRun) {
    await ctx.state.putCheckpoint(ctx.connection.id, goal.id, removalCheckpoint(plans, false));
  }
  return plans;
}

function removalCheckpoint(plans: RemovalPlan[], finished: boolean): RemovalCheckpoint {
  return { removableBefore: Object.fromEntries(plans.map((plan) => [plan.audienceId, plan.removable])), finished };
}

/** Members this goal already took out (withdrawn consent, an earlier removal) are not removed again. */
async function notRemovedBefore(ctx: GoalContext, goal: ExportGoal, audienceId: string, members: AudienceMember[]): Promise<AudienceMember[]> {
  const kept: AudienceMember[] = [];
  for (let start = 0; start < members.length; start += GET_SENT_CHUNK) {
    const chunk = members.slice(start, start + GET_SENT_CHUNK);
    const sent = await ctx.state.getSent(ctx.connection.id, goal.id, audienceId, chunk.map((member) => member.id));
    kept.push(...chunk.filter((member) => sent.get(member.id)?.removed === undefined));
  }
  return kept;
}

/** Whether the brake holds the plan back; says so in the report. */
function weighBrake(ctx: GoalContext, goal: ExportGoal, plan: RemovalPlan, tally: AudienceTally): boolean {
  const maxShare = goal.removeNonSegmentMembers!.maxRemovalShare ?? DEFAULT_MAX_REMOVAL_SHARE;
  const count = plan.toRemove.length;
  const braked = count > 0 && (plan.segmentEmpty || (count > maxShare * plan.removable && !ctx.options.force));
  if (braked) tally.report.brake = { wouldRemove: count, audienceSize: plan.removable, maxShare };
  else delete tally.report.brake;
  return braked;
}

/**
 * Carries out the plans after the run's writes; members whose consent was withdrawn in this run were already
 * handled. A braked plan fails the goal (after its writes) and removes no one.
 */
export async function applyRemovals(
  ctx: GoalContext,
  goal: ExportGoal,
  plans: RemovalPlan[],
  tallies: AudienceTally[],
  withdrawn: Set<string>,
): Promise<void> {
  const action = goal.removeNonSegmentMembers!.action ?? 'archive';
  for (const [index, planned] of plans.entries()) {
    const tally = tallies[index];
    // Members whose consent this run withdrew were handled as onConsentWithdrawn says: the brake weighs the rest.
    const plan = { ...planned, toRemove: planned.toRemove.filter((member) => !withdrawn.has(member.id)) };
    if (weighBrake(ctx, goal, plan, tally)) {
      if (ctx.options.dryRun) continue;
      await ctx.state.putCheckpoint(ctx.connection.id, goal.id, removalCheckpoint(plans, true));
      throw brakeError(goal, plan, tally.report.brake!.maxShare);
    }
    const { toRemove } = plan;
    if (toRemove.length === 0) continue;
    if (ctx.options.dryRun) {
      tally.report.removed += toRemove.length;
      continue;
    }
    throwIfLockLost(ctx);
    const results = await ctx.session.members.removeMembers(plan.audienceId, toRemove, action);
    for (const result of results) {
      if (result.outcome === 'failed') tally.fail(result.email, result.reason ?? 'removal failed');
      else tally.report.removed++;
    }
    await recordRemovalResults(ctx, goal, plan.audienceId, results, action);
  }
  if (!ctx.options.dryRun) await ctx.state.clearCheckpoint(ctx.connection.id, goal.id);
}

/**
 * Records what removals did: a member Mailchimp took out gets the action; one it would not (already archived,
 * cleaned, pending, gone) was left as it was (`keep`), so a returning profile never "restores" it; a failed one
 * keeps its record, and the next run tries again.
 */
export async function recordRemovalResults(ctx: GoalContext, goal: ExportGoal, audienceId: string, results: MemberResult[], action: RemovalAction): Promise<void> {
  const ids = (outcome: MemberResult['outcome']): string[] => results.filter((result) => result.outcome === outcome).map((result) => result.memberId);
  await recordRemovals(ctx, goal, audienceId, ids('updated'), action);
  await recordRemovals(ctx, goal, audienceId, ids('skipped'), 'keep');
}

/** Remembers that the goal removed these members, so a profile that returns brings its member back. */
export async function recordRemovals(ctx: GoalContext, goal: ExportGoal, audienceId: string, memberIds: string[], action: SentRecord['removed']): Promise<void> {
  if (memberIds.length === 0) return;
  const sent = await ctx.state.getSent(ctx.connection.id, goal.id, audienceId, memberIds);
  const now = ctx.clock.now();
  const records = memberIds.map((memberId): SentRecord => {
    const { retry: _retry, attempts: _attempts, lastError: _error, ...previous } = sent.get(memberId) ?? { memberId, hash: '', sentAt: now };
    return { ...previous, hash: '', removed: action, inAudience: action === 'archive' ? false : previous.inAudience };
  });
  await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, records);
}

function brakeError(goal: ExportGoal, plan: RemovalPlan, maxShare: number): CdpError {
  const { audienceId, toRemove, removable } = plan;
  return new CdpError(
    'removal_brake',
    plan.segmentEmpty
      ? `segment ${goal.segment} is empty: refusing to remove ${toRemove.length} members of audience ${audienceId}`
      : `removal brake: ${toRemove.length} of the ${removable} members of audience ${audienceId} that could be removed would be ` +
          `(more than ${Math.round(maxShare * 100)}%); nothing was removed. Run with --force to remove them.`,
  );
}
