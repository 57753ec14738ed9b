import type { ExportGoal } from '../config/generated-types.js';
import type { MemberPayload, MemberResult, TagRemoval } from '../connector.js';
import { CdpError } from '../errors.js';
import { subscriberHash } from '../identifiers.js';
import { buildMemberPayload, payloadHash } from '../mapping/export-mapping.js';
import { touchpointId, type SentRecord } from '../ports/state-store.js';
import type { Profile } from '../profile.js';
import { writeModeOf } from '../config/goal-option-checks.js';
import { resolveAudienceFields, withAudienceIds } from './audience-fields.js';
import { AudienceTally } from './audience-tally.js';
import { warnAboutBroadExclusions } from './email-exclusions.js';
import { removeTags, type ExportRun } from './export-run.js';
import { throwIfLockLost, type GoalContext, type GoalOutcome } from './goal-context.js';
import { applyRemovals, planRemovals } from './membership-sync.js';
import { qualify } from './qualify.js';
import { audiencesWithoutRecords, sweepSent } from './sent-sweep.js';
import { TaskPool } from './task-pool.js';
import { countTouchpoints } from './touchpoint-counting.js';
import { thresholdIndex, touchpointKeys } from './touchpoints.js';

/** Batch calls in flight per goal; the connector's per-key limiter still caps real requests. */
const WRITE_CONCURRENCY = 10;
/** Failed writes of one member retried by later runs before the failure is left as final. */
export const MAX_ATTEMPTS = 3;

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
  const fieldIds = await resolveAudienceFields(ctx, goal);
  if (options.dryRun && !resync) await warnAboutBroadExclusions(ctx, goal, tallies);
  const thresholds = thresholdIndex(await ctx.catalog.lifecycles());
  if (goal.lifecycleThreshold && !options.dryRun) await countTouchpoints(ctx, goal, thresholds);
  // A dry run needs each member's status to say what a run would do: read the audiences once, or for a few
  // named profiles look their members up.
  const existing = options.dryRun && !resync ? await readAudiences(ctx, goal) : undefined;
  // Planned before any write, so the brake weighs the audience as it was: a dry run and a run agree.
  const removals = goal.removeNonSegmentMembers && !resync ? await planRemovals(ctx, goal, tallies) : undefined;

  const run: ExportRun = { ctx, goal, tallies, thresholds, startedAt, existing, fieldIds, pool: new TaskPool(WRITE_CONCURRENCY) };
  // Asked before anything is written: where the goal has no record yet, this run's own leave the sweep nothing to do.
  const unwritten = since === undefined && !resync ? await audiencesWithoutRecords(run) : new Set<string>();
  try {
    let done = 0;
    // A first or full run sends the whole segment: its size is the progress total (a delta's is not known).
    const total = options.onProgress && since === undefined && !resync ? await ctx.profiles.count({ segment: goal.segment }) : undefined;
    options.onProgress?.({ goalId: goal.id, phase: 'write', done, total });
    for await (const profiles of whenSlotFree(run.pool, selection(ctx, goal, since))) {
      await exportBatch(run, profiles);
      done += profiles.length;
      options.onProgress?.({ goalId: goal.id, phase: 'write', done, total });
    }
    await run.pool.drain();
    if (resync) return;

    // What the segment stream cannot show: held or failed profiles that did not change, withdrawn consent,
    // deleted profiles, and tags of profiles that left the segment.
    const { revisit, withdrawn } = await sweepSent(run, since, unwritten);
    for (let start = 0; start < revisit.length; start += batchSizeOf(goal)) {
      await exportBatch(run, await ctx.profiles.findById(revisit.slice(start, start + batchSizeOf(goal))));
    }
    await run.pool.drain();
    if (removals) await applyRemovals(ctx, goal, removals, tallies, withdrawn);
  } finally {
    // A goal that stops (interrupted, lock lost, a failed call) lets the batch calls in flight finish and
    // record what they wrote, before the run is saved and its lock released.
    await run.pool.settle();
  }
  throwIfLockLost(ctx);
  if (!options.dryRun) await state.setWatermark(connection.id, goal.id, startedAt);
}

const batchSizeOf = (goal: ExportGoal): number => goal.batchSize ?? 500;

/** The profiles a run considers: the segment's changed profiles, or the named ones of a re-sync still in it. */
async function* selection(ctx: GoalContext, goal: ExportGoal, since: Date | undefined): AsyncIterable<Profile[]> {
  const ids = ctx.options.profileIds;
  if (ids === undefined) {
    yield* ctx.profiles.streamSegment({ segment: goal.segment, changedSince: since, batchSize: batchSizeOf(goal) });
    return;
  }
  const profiles = (await ctx.profiles.findById(ids)).filter((profile) => profile.segments.includes(goal.segment));
  if (profiles.length > 0) yield profiles;
}

/**
 * Pulls the next batch only once a write slot is free, so the batch is filtered and sent at once: read ahead,
 * it would wait for a slot and outlive the young generation, which makes every batch's rows garbage for the
 * old one (at 1,000,000 profiles most of the run's peak memory).
 */
async function* whenSlotFree<T>(pool: TaskPool, batches: AsyncIterable<T>): AsyncIterable<T> {
  for await (const batch of batches) {
    yield batch;
    await pool.ready();
  }
}

/** Filters one batch of profiles and submits, per audience, the members that must be written. */
async function exportBatch(run: ExportRun, profiles: Profile[]): Promise<void> {
  const { ctx, goal, tallies } = run;
  throwIfLockLost(ctx);
  const candidates = await selectCandidates(run, profiles);
  for (const [index, audienceId] of goal.audiences.entries()) {
    const { toSend, sent } = await compareWithSent(ctx, goal, audienceId, candidates, tallies[index]);
    if (ctx.options.dryRun) {
      const statuses = run.existing?.get(audienceId) ?? (await ctx.session.members.memberStatuses(audienceId, toSend.map((c) => c.payload.memberId)));
      tallyDryRun(goal, toSend, statuses, sent, tallies[index]);
      continue;
    }
    if (toSend.length > 0) await run.pool.submit(() => send(run, audienceId, toSend, sent, tallies[index]));
  }
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
async function selectCandidates(run: ExportRun, profiles: Profile[]): Promise<Candidate[]> {
  const { ctx, goal, tallies } = run;
  const qualified: { profile: Profile; email: string }[] = [];
  for (const profile of profiles) {
    const verdict = qualify(profile, goal, ctx.connection.objectives);
    for (const tally of tallies) tally.report.selected++;
    if ('skip' in verdict) for (const tally of tallies) tally.skip(verdict.skip);
    else qualified.push({ profile, email: verdict.email });
  }
  const held = goal.lifecycleThreshold ? await atThreshold(run, qualified) : new Set<string>();
  if (held.size > 0) await holdBack(run, qualified.filter(({ profile }) => held.has(profile.id)));
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

/** Profiles whose current stage already reached its touchpoint threshold in the current period. */
async function atThreshold(run: ExportRun, qualified: { profile: Profile }[]): Promise<Set<string>> {
  const lifecycle = run.goal.lifecycleStage?.lifecycle;
  const keys = qualified.flatMap(({ profile }) =>
    touchpointKeys(profile.id, profile.lifecycles.filter((p) => !lifecycle || p.lifecycle === lifecycle), run.thresholds, run.startedAt),
  );
  if (keys.length === 0) return new Set();
  const counts = await run.ctx.state.getTouchpoints(keys.map(({ key }) => key));
  return new Set(keys.filter(({ key, max }) => (counts.get(touchpointId(key)) ?? 0) >= max).map(({ key }) => key.profileId));
}

/** Marks held profiles for a retry, so the first run whose period allows them sends them, changed or not. */
async function holdBack(run: ExportRun, held: { profile: Profile; email: string }[]): Promise<void> {
  const { ctx, goal } = run;
  if (ctx.options.dryRun) return;
  for (const audienceId of goal.audiences) {
    const ids = held.map(({ email }) => subscriberHash(email));
    const sent = await ctx.state.getSent(ctx.connection.id, goal.id, audienceId, ids);
    const records = held.map(({ profile }, i): SentRecord => ({
      ...(sent.get(ids[i]) ?? { memberId: ids[i], hash: '', sentAt: run.startedAt }),
      profileId: profile.id,
      retry: 'threshold',
    }));
    await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, records);
  }
}

/**
 * Drops members whose payload equals the one last sent (unless the run is `--full` or the member waits for a
 * retry), and returns the last-sent records of the batch for the write.
 */
async function compareWithSent(
  ctx: GoalContext,
  goal: ExportGoal,
  audienceId: string,
  candidates: Candidate[],
  tally: AudienceTally,
): Promise<{ toSend: Candidate[]; sent: Map<string, SentRecord> }> {
  if (candidates.length === 0) return { toSend: candidates, sent: new Map() };
  const sent = await ctx.state.getSent(ctx.connection.id, goal.id, audienceId, candidates.map((c) => c.payload.memberId));
  const changed = (c: Candidate): boolean => {
    const record = sent.get(c.payload.memberId);
    return record === undefined || record.hash !== c.hash || record.retry !== undefined;
  };
  const toSend = ctx.options.full ? candidates : candidates.filter(changed);
  tally.report.unchanged += candidates.length - toSend.length;
  return { toSend, sent };
}

async function send(run: ExportRun, audienceId: string, batch: Candidate[], sent: Map<string, SentRecord>, tally: AudienceTally): Promise<void> {
  const { ctx, goal } = run;
  throwIfLockLost(ctx);
  const known = new Set<string>();
  const restore = new Set<string>();
  for (const record of sent.values()) {
    if (record.removed === 'archive') restore.add(record.memberId);
    else if (record.inAudience && record.removed === undefined) known.add(record.memberId);
  }
  const mode = writeModeOf(goal);
  const results = await ctx.session.members.upsertMembers(
    audienceId,
    withAudienceIds(batch.map((c) => c.payload), run.fieldIds?.get(audienceId)),
    { createMembers: mode !== 'updateOnly', updateExisting: mode !== 'createOnly', newMemberStatus: goal.newMemberStatus ?? 'subscribed', knownMembers: known, restoreMembers: restore },
  );
  const byMember = new Map(batch.map((c) => [c.payload.memberId, c]));
  const sentAt = ctx.clock.now();
  const records: SentRecord[] = [];
  const exported: string[] = [];
  const staleTags: TagRemoval[] = [];
  for (const result of results) {
    const candidate = byMember.get(result.memberId);
    if (!candidate) continue;
    const previous = sent.get(result.memberId);
    const written = result.outcome === 'created' || result.outcome === 'updated';
    if (written && restore.has(result.memberId)) tally.report.restored++;
    else tally.count(result);
    records.push(sentRecord(candidate, { ...result, reason: result.reason && ctx.redact(result.reason) }, previous, sentAt));
    if (written) exported.push(candidate.profileId);
    if (!reached(result)) continue;
    const stale = (previous?.payload?.tags ?? []).filter((tag) => !candidate.payload.tags.includes(tag));
    if (stale.length > 0) staleTags.push({ memberId: result.memberId, email: result.email, tags: stale });
  }
  // Tags this goal wrote for segments the profile has left; tags added in Mailchimp are never in the list.
  if (staleTags.length > 0) await removeTags(ctx, audienceId, staleTags, tally);
  await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, records);
  if (exported.length > 0) await ctx.state.addExchanged(ctx.connection.id, 'exported', exported);
}

/**
 * Whether the write reached the member: Mailchimp takes the data (tags included) of unsubscribed and cleaned
 * members too, leaving their status alone.
 */
const reached = (result: MemberResult): boolean => result.outcome === 'created' || result.outcome === 'updated' || result.outcome === 'compliance';

/**
 * What a write result leaves for the next run: a failure is retried a few times, then kept as final. The
 * payload is the one Mailchimp last took, so its tags are exactly the ones this goal put on the member.
 */
function sentRecord(candidate: Candidate, result: MemberResult, previous: SentRecord | undefined, sentAt: Date): SentRecord {
  const record: SentRecord = {
    memberId: candidate.payload.memberId,
    profileId: candidate.profileId,
    hash: candidate.hash,
    payload: reached(result) ? candidate.payload : previous?.payload,
    sentAt,
  };
  if (record.payload === undefined) delete record.payload;
  const existed = previous?.inAudience === true && previous.removed !== 'archive';
  switch (result.outcome) {
    case 'created':
    case 'updated':
      record.inAudience = true;
      break;
    case 'compliance':
      record.inAudience = existed;
      record.lastError = `compliance: ${result.reason ?? 'compliance state'}`;
      break;
    case 'skipped':
    case 'archived':
    case 'exists':
      record.lastError = `${result.outcome}: ${result.reason ?? 'not written'}`;
      break;
    case 'failed': {
      const attempts = (previous?.attempts ?? 0) + 1;
      record.inAudience = existed;
      record.lastError = `failed: ${result.reason ?? 'no reason given'}`;
      record.attempts = attempts;
      if (attempts < MAX_ATTEMPTS) record.retry = 'failed';
      break;
    }
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

function tallyDryRun(goal: ExportGoal, batch: Candidate[], statuses: Map<string, string>, sent: Map<string, SentRecord>, tally: AudienceTally): void {
  for (const { payload } of batch) {
    const status = statuses.get(payload.memberId);
    if (sent.get(payload.memberId)?.removed === 'archive') tally.report.restored++;
    else if (status === 'unsubscribed' || status === 'cleaned') tally.skip('compliance');
    else if (status !== undefined && writeModeOf(goal) === 'createOnly') tally.skip('exists');
    else if (status !== undefined) tally.report.updated++;
    else if (writeModeOf(goal) !== 'updateOnly') tally.report.created++;
    else tally.skip('notFound');
  }
}
