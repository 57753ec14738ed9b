import type { ExportGoal } from '../config/generated-types.js';
import type { AudienceMember, MemberPayload, MemberResult } from '../connector.js';
import { hasConsent } from '../consent.js';
import { CdpError } from '../errors.js';
import { isValidEmail, normalizeEmail } from '../identifiers.js';
import { buildMemberPayload, payloadHash } from '../mapping/export-mapping.js';
import { touchpointId, type SentRecord } from '../ports/state-store.js';
import type { Profile } from '../profile.js';
import type { SkipReason } from '../report.js';
import { AudienceTally } from './audience-tally.js';
import { throwIfLockLost, type GoalContext, type GoalOutcome } from './goal-context.js';
import { TaskPool } from './task-pool.js';
import { countTouchpoints } from './touchpoint-counting.js';
import { thresholdIndex, touchpointKeys } from './touchpoints.js';

/** Batch calls in flight per goal; the connector's per-key limiter still caps real requests. */
const WRITE_CONCURRENCY = 10;
const DEFAULT_MAX_REMOVAL_SHARE = 0.2;

/**
 * A profile that passed every filter, with the member it becomes. It keeps the profile's id, not the profile:
 * a batch waits for its call while later ones are read, and holding whole profiles that long costs memory
 * and garbage-collector time.
 */
interface Candidate {
  profileId: string;
  payload: MemberPayload;
  hash: string;
}

type Qualification = { email: string } | { skip: SkipReason };

/** Runs an export goal: the segment's qualifying profiles become members of each audience. */
export async function runExportGoal(ctx: GoalContext, goal: ExportGoal): Promise<GoalOutcome> {
  const tallies = goal.audiences.map((audienceId) => new AudienceTally(audienceId));
  try {
    await exportInto(ctx, goal, tallies);
    return { audiences: tallies.map((tally) => tally.report) };
  } catch (error) {
    return { audiences: tallies.map((tally) => tally.report), error };
  }
}

async function exportInto(ctx: GoalContext, goal: ExportGoal, tallies: AudienceTally[]): Promise<void> {
  const { connection, state, options } = ctx;
  const startedAt = ctx.clock.now();
  const resync = options.profileIds !== undefined;
  const since = options.full || resync ? undefined : await state.getWatermark(connection.id, goal.id);

  throwIfLockLost(ctx);
  await checkMergeFields(ctx, goal, tallies);
  const thresholds = thresholdIndex(await ctx.catalog.lifecycles());
  if (goal.lifecycleThreshold && !options.dryRun) await countTouchpoints(ctx, goal, thresholds);
  // A dry run needs each member's status to say what a run would do: read the audiences once, or for a few
  // named profiles look their members up.
  const existing = options.dryRun && !resync ? await readAudiences(ctx, goal) : undefined;

  const pool = new TaskPool(WRITE_CONCURRENCY);
  const batchSize = goal.batchSize ?? 500;
  let done = 0;
  for await (const profiles of selection(ctx, goal, since, batchSize)) {
    throwIfLockLost(ctx);
    const candidates = await selectCandidates(ctx, goal, profiles, thresholds, tallies, startedAt);
    for (const [index, audienceId] of goal.audiences.entries()) {
      const { toSend, known } = await compareWithSent(ctx, goal, audienceId, candidates, tallies[index]);
      if (options.dryRun) {
        const statuses = existing?.get(audienceId) ?? (await ctx.session.members.memberStatuses(audienceId, toSend.map((c) => c.payload.memberId)));
        tallyDryRun(goal, toSend, statuses, tallies[index]);
        continue;
      }
      if (toSend.length > 0) await pool.submit(() => send(ctx, goal, audienceId, toSend, known, tallies[index]));
    }
    done += profiles.length;
    options.onProgress?.({ goalId: goal.id, phase: 'write', done });
  }
  await pool.drain();
  if (resync) return;

  if (goal.removeNonSegmentMembers) {
    for (const [index, audienceId] of goal.audiences.entries()) await syncMembership(ctx, goal, audienceId, tallies[index]);
  }
  throwIfLockLost(ctx);
  if (!options.dryRun) await state.setWatermark(connection.id, goal.id, startedAt);
}

/** The profiles a run considers: the segment's changed profiles, or the named ones of a re-sync still in it. */
async function* selection(ctx: GoalContext, goal: ExportGoal, since: Date | undefined, batchSize: number): AsyncIterable<Profile[]> {
  const ids = ctx.options.profileIds;
  if (ids === undefined) {
    yield* ctx.profiles.streamSegment({ segment: goal.segment, changedSince: since, batchSize });
    return;
  }
  const profiles = (await ctx.profiles.findById(ids)).filter((profile) => profile.segments.includes(goal.segment));
  if (profiles.length > 0) yield profiles;
}

/** Every merge field the mappings write must exist in each audience (created first when the goal says so). */
async function checkMergeFields(ctx: GoalContext, goal: ExportGoal, tallies: AudienceTally[]): Promise<void> {
  const tags = [...new Set(goal.mappings.map((mapping) => mapping.to))];
  if (tags.length === 0) return;
  const create = (goal.createMissingMergeFields ?? false) && !ctx.options.dryRun;
  for (const [index, audienceId] of goal.audiences.entries()) {
    const present = new Set(ctx.audiences.find((a) => a.id === audienceId)?.fields.map((field) => field.tag.toUpperCase()));
    const lacking = tags.filter((tag) => !present.has(tag.toUpperCase()));
    const { missing, created } = lacking.length > 0 && create ? await ctx.session.members.ensureFields(audienceId, lacking, true) : { missing: lacking, created: [] };
    const report = tallies[index].report;
    if (missing.length > 0) report.missingFields = missing;
    if (created.length > 0) report.createdFields = created;
    const stillMissing = missing.filter((tag) => !created.includes(tag));
    if (stillMissing.length > 0 && !ctx.options.dryRun) {
      throw new CdpError(
        'missing_merge_fields',
        `audience ${audienceId} lacks merge fields ${stillMissing.join(', ')}: create them or set createMissingMergeFields`,
      );
    }
  }
}

/** Applies the filters in order (stage, consent, identifier, threshold) and builds each member payload. */
async function selectCandidates(
  ctx: GoalContext,
  goal: ExportGoal,
  profiles: Profile[],
  thresholds: ReturnType<typeof thresholdIndex>,
  tallies: AudienceTally[],
  now: Date,
): Promise<Candidate[]> {
  const qualified: { profile: Profile; email: string }[] = [];
  for (const profile of profiles) {
    const verdict = qualify(profile, goal, ctx.connection.objectives);
    for (const tally of tallies) tally.report.selected++;
    if ('skip' in verdict) for (const tally of tallies) tally.skip(verdict.skip);
    else qualified.push({ profile, email: verdict.email });
  }
  const held = goal.lifecycleThreshold ? await atThreshold(ctx, goal, qualified, thresholds, now) : new Set<string>();
  const candidates: Candidate[] = [];
  const emails = new Set<string>();
  for (const { profile, email } of qualified) {
    if (held.has(profile.id)) {
      for (const tally of tallies) tally.skip('threshold');
      continue;
    }
    // Two profiles with one email would be one member twice in a batch call: the first one is sent.
    if (emails.has(email)) {
      for (const tally of tallies) tally.skip('excluded', { record: email, reason: `profile ${profile.id} shares this email with another profile of the batch` });
      continue;
    }
    emails.add(email);
    const { payload, truncated } = buildMemberPayload(profile, goal, email);
    for (const tally of tallies) tally.report.truncated += truncated;
    candidates.push({ profileId: profile.id, payload, hash: payloadHash(payload) });
  }
  return candidates;
}

function qualify(profile: Profile, goal: ExportGoal, objectives: string[]): Qualification {
  const stage = goal.lifecycleStage;
  if (stage && !profile.lifecycles.some((p) => p.lifecycle === stage.lifecycle && p.stage === stage.stage)) return { skip: 'notInStage' };
  if (!hasConsent(profile, objectives)) return { skip: 'noConsent' };
  const raw = profile.properties[goal.identifier]?.find((value) => typeof value === 'string' && value.trim() !== '');
  if (typeof raw !== 'string') return { skip: 'noIdentifier' };
  const email = normalizeEmail(raw);
  return isValidEmail(email) ? { email } : { skip: 'invalidIdentifier' };
}

/** Profiles whose current stage already reached its touchpoint threshold in the current period. */
async function atThreshold(
  ctx: GoalContext,
  goal: ExportGoal,
  qualified: { profile: Profile }[],
  thresholds: ReturnType<typeof thresholdIndex>,
  now: Date,
): Promise<Set<string>> {
  const lifecycle = goal.lifecycleStage?.lifecycle;
  const keys = qualified.flatMap(({ profile }) =>
    touchpointKeys(profile.id, profile.lifecycles.filter((p) => !lifecycle || p.lifecycle === lifecycle), thresholds, now),
  );
  if (keys.length === 0) return new Set();
  const counts = await ctx.state.getTouchpoints(keys.map(({ key }) => key));
  return new Set(keys.filter(({ key, max }) => (counts.get(touchpointId(key)) ?? 0) >= max).map(({ key }) => key.profileId));
}

/**
 * Drops members whose payload equals the one last sent (unless the run is `--full`), and tells which members
 * this goal wrote successfully before (the connector can update those in one call).
 */
async function compareWithSent(
  ctx: GoalContext,
  goal: ExportGoal,
  audienceId: string,
  candidates: Candidate[],
  tally: AudienceTally,
): Promise<{ toSend: Candidate[]; known: Set<string> }> {
  if (candidates.length === 0) return { toSend: candidates, known: new Set() };
  const sent = await ctx.state.getSent(ctx.connection.id, goal.id, audienceId, candidates.map((c) => c.payload.memberId));
  const known = new Set<string>();
  for (const record of sent.values()) if (record.lastError === undefined) known.add(record.memberId);
  const toSend = ctx.options.full ? candidates : candidates.filter((c) => sent.get(c.payload.memberId)?.hash !== c.hash);
  tally.report.unchanged += candidates.length - toSend.length;
  return { toSend, known };
}

async function send(
  ctx: GoalContext,
  goal: ExportGoal,
  audienceId: string,
  batch: Candidate[],
  knownMembers: Set<string>,
  tally: AudienceTally,
): Promise<void> {
  throwIfLockLost(ctx);
  const results = await ctx.session.members.upsertMembers(
    audienceId,
    batch.map((c) => c.payload),
    { createMembers: goal.createMembers ?? true, newMemberStatus: goal.newMemberStatus ?? 'subscribed', knownMembers },
  );
  const byMember = new Map(batch.map((c) => [c.payload.memberId, c]));
  const sentAt = ctx.clock.now();
  const records: SentRecord[] = [];
  const exported: string[] = [];
  for (const result of results) {
    tally.count(result);
    const candidate = byMember.get(result.memberId);
    if (!candidate) continue;
    // Every outcome is final for this payload (permanent errors are never retried), so each is recorded.
    records.push(sentRecord(candidate, result, sentAt));
    if (result.outcome === 'created' || result.outcome === 'updated') exported.push(candidate.profileId);
  }
  await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, records);
  if (exported.length > 0) await ctx.state.addExchanged(ctx.connection.id, 'exported', exported);
}

function sentRecord(candidate: Candidate, result: MemberResult, sentAt: Date): SentRecord {
  const record: SentRecord = {
    memberId: candidate.payload.memberId,
    profileId: candidate.profileId,
    hash: candidate.hash,
    payload: candidate.payload,
    sentAt,
  };
  if (result.outcome === 'compliance' || result.outcome === 'failed' || result.outcome === 'skipped') {
    record.lastError = `${result.outcome}: ${result.reason ?? 'no reason given'}`;
  }
  return record;
}

/** For a dry run: the audiences' current members, so counts say what a real run would create or update. */
async function readAudiences(ctx: GoalContext, goal: ExportGoal): Promise<Map<string, Map<string, string>>> {
  const audiences = new Map<string, Map<string, string>>();
  for (const audienceId of goal.audiences) {
    const statuses = new Map<string, string>();
    for await (const page of ctx.session.members.listMembers(audienceId)) for (const m of page) statuses.set(m.id, m.status);
    audiences.set(audienceId, statuses);
  }
  return audiences;
}

function tallyDryRun(goal: ExportGoal, batch: Candidate[], statuses: Map<string, string>, tally: AudienceTally): void {
  for (const { payload } of batch) {
    const status = statuses.get(payload.memberId);
    if (status === 'unsubscribed' || status === 'cleaned') tally.skip('compliance');
    else if (status !== undefined) tally.report.updated++;
    else if (goal.createMembers ?? true) tally.report.created++;
    else tally.skip('notFound');
  }
}

/**
 * Removes audience members that are not (qualifying) profiles of the segment, after reading both completely.
 * The removal brake refuses to remove more than the configured share of the audience unless forced, and an
 * empty segment never removes anyone: it is far more often a broken segment than an intended purge.
 */
async function syncMembership(ctx: GoalContext, goal: ExportGoal, audienceId: string, tally: AudienceTally): Promise<void> {
  const settings = goal.removeNonSegmentMembers!;
  const keep = new Set<string>();
  let segmentSize = 0;
  for await (const profiles of ctx.profiles.streamSegment({ segment: goal.segment, batchSize: 1000 })) {
    for (const profile of profiles) {
      segmentSize++;
      const verdict = qualify(profile, goal, ctx.connection.objectives);
      if ('email' in verdict) keep.add(buildMemberPayload(profile, { mappings: [] }, verdict.email).payload.memberId);
    }
  }
  const action = settings.action ?? 'archive';
  const removable = action === 'archive' ? ['subscribed', 'unsubscribed', 'transactional'] : ['subscribed'];
  const audience: AudienceMember[] = [];
  const toRemove: AudienceMember[] = [];
  for await (const page of ctx.session.members.listMembers(audienceId)) {
    for (const member of page) {
      audience.push(member);
      if (!keep.has(member.id) && removable.includes(member.status)) toRemove.push(member);
    }
  }
  if (toRemove.length === 0) return;
  const maxShare = settings.maxRemovalShare ?? DEFAULT_MAX_REMOVAL_SHARE;
  const braked = segmentSize === 0 || (toRemove.length > maxShare * audience.length && !ctx.options.force);
  if (braked) {
    tally.report.brake = { wouldRemove: toRemove.length, audienceSize: audience.length, maxShare };
    if (ctx.options.dryRun) return;
    throw new CdpError(
      'removal_brake',
      segmentSize === 0
        ? `segment ${goal.segment} is empty: refusing to remove ${toRemove.length} members of audience ${audienceId}`
        : `removal brake: ${toRemove.length} of ${audience.length} members of audience ${audienceId} would be removed ` +
            `(more than ${Math.round(maxShare * 100)}%); nothing was removed. Run with --force to remove them.`,
    );
  }
  if (ctx.options.dryRun) {
    tally.report.removed += toRemove.length;
    return;
  }
  throwIfLockLost(ctx);
  const results = await ctx.session.members.removeMembers(audienceId, toRemove, action);
  for (const result of results) {
    if (result.outcome === 'failed') tally.fail(result.email, result.reason ?? 'removal failed');
    else tally.report.removed++;
  }
}
