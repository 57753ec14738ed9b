import type { MemberResult, TagRemoval } from '../connector.js';
import { CdpError } from '../errors.js';
import { hasConsent } from '../consent.js';
import { identifierKeysOf, normalizeEmail, subscriberHash } from '../identifiers.js';
import { buildMemberPayload } from '../mapping/export-mapping.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { SentRecord } from '../ports/state-store.js';
import type { Profile } from '../profile.js';
import type { AudienceTally } from './audience-tally.js';
import { removeTags, type ExportRun } from './export-run.js';
import { throwIfLockLost } from './goal-context.js';
import { recordRemovalResults, recordRemovals } from './membership-sync.js';
import { qualify } from './qualify.js';

/**
 * Records per read of the sweep: enough that a walk costs few round trips (on PostgreSQL at 100k members, 500 took a
 * walk 2.5 times as long as 5,000), few enough that each read's rows die young: 5,000 rows outlived the young
 * generation and made most of the garbage of a full run's old one (its peak memory at 1,000,000 profiles).
 */
const SWEEP_BATCH = 1000;

/** What the sweep found beyond the segment stream. */
export interface SweepResult {
  /** Profiles to export again although unchanged: held by a threshold or failed in an earlier run. */
  revisit: string[];
  /** Members withdrawn or erased in this run (membership sync leaves them alone). */
  withdrawn: Set<string>;
}

/**
 * Looks at the goal's sent records, the members this goal wrote, with their profiles as they are now:
 * - a profile that lost consent to every objective, or was deleted, gets `onConsentWithdrawn` (unsubscribe by
 *   default) for the member this goal wrote; nobody is ever re-subscribed by it; a deleted one whose email no
 *   other profile holds is erased instead when the goal's `onProfileDeleted` says `deletePermanently`;
 * - a profile that no longer gives a segment tag this goal wrote (it left that segment or the goal's, or no longer
 *   qualifies) loses it, on any member the goal has not taken out, unsubscribed and cleaned ones included;
 * - a record waiting for a retry brings its unchanged profile back into the run (`revisit`);
 * - a record whose profile was deleted belongs to the profile now holding its email, if any: the record is
 *   adopted by it (its `profileId`), so that profile's changes and deletion find the record.
 * Profiles the segment stream already brought into this run (changed since `since`) are not revisited, and
 * records of profiles unchanged since `since` are left alone (see `recordsToLookAt`). A first or full run walks
 * every record, except in `unwritten` audiences (see `audiencesWithoutRecords`); a delta on a store with a change
 * feed reads only the records that can need anything (see `recordsOfChanges`), otherwise it walks them too.
 */
export async function sweepSent(run: ExportRun, since: Date | undefined, unwritten: Set<string>): Promise<SweepResult> {
  const { ctx, goal } = run;
  const revisit = new Set<string>();
  const withdrawn = new Set<string>();
  const deleted = since === undefined ? undefined : await deletedSince(ctx.profiles, since);
  for (const [index, audienceId] of goal.audiences.entries()) {
    if (unwritten.has(audienceId)) continue;
    const batches =
      since === undefined || deleted === undefined
        ? walk(ctx.state.streamSent(ctx.connection.id, goal.id, audienceId, SWEEP_BATCH))
        : recordsOfChanges(run, audienceId, since, deleted);
    for await (const { records, changed: known } of batches) {
      throwIfLockLost(ctx);
      const withdrawals: SentRecord[] = [];
      const erasures: SentRecord[] = [];
      const untag: { record: SentRecord; tags: string[] }[] = [];
      const adopted: SentRecord[] = [];
      for (const { record, profile, changed, adoptedBy } of await recordsToLookAt(run, records, since, known)) {
        const written = record.inAudience === true && record.removed === undefined;
        // Deleted, and no other profile holds the email: an erasure when the goal says so.
        if (written && !profile && goal.onProfileDeleted === 'deletePermanently' && record.payload) erasures.push(record);
        else if (written && (!profile || !hasConsent(profile, ctx.connection.objectives))) withdrawals.push(record);
        else if (profile && record.retry && profile.segments.includes(goal.segment) && !changed) revisit.add(profile.id);
        else {
          const kept = adoptedBy ? { ...record, profileId: adoptedBy } : record;
          const stale = profile && record.removed === undefined ? staleTags(run, record, profile) : [];
          if (stale.length > 0) untag.push({ record: kept, tags: stale });
          else if (adoptedBy) adopted.push(kept);
        }
      }
      await erase(run, audienceId, erasures, run.tallies[index]);
      await withdraw(run, audienceId, withdrawals, run.tallies[index]);
      for (const record of [...erasures, ...withdrawals]) withdrawn.add(record.memberId);
      await removeStaleTags(run, audienceId, untag, run.tallies[index]);
      if (adopted.length > 0 && !ctx.options.dryRun) await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, adopted);
    }
  }
  return { revisit: [...revisit], withdrawn };
}

/**
 * The goal's audiences it had written no member of when a first or full run starts. The sweep has nothing to do
 * there: every record is this run's, written from its profile as the stream gave it (consenting, with its current
 * tags, no earlier payload to untag), and what changes after the run started is the next run's, which looks at
 * every profile changed or deleted since then. So a first run does not read its audience's records and profiles
 * a second time.
 */
export async function audiencesWithoutRecords(run: ExportRun): Promise<Set<string>> {
  const { ctx, goal } = run;
  const unwritten = new Set<string>();
  for (const audienceId of goal.audiences) {
    if (!(await anyRecord(ctx.state.streamSent(ctx.connection.id, goal.id, audienceId, 1)))) unwritten.add(audienceId);
  }
  return unwritten;
}

/** Whether the walk yields a record; it stops (its cursor closed) at the first batch. */
async function anyRecord(walk: AsyncIterable<SentRecord[]>): Promise<boolean> {
  for await (const records of walk) return records.length > 0;
  return false;
}

/** Records to look at, with the profiles among theirs already read and known to have changed since `since`. */
interface SweepBatch {
  records: SentRecord[];
  changed?: Map<string, Profile>;
}

async function* walk(batches: AsyncIterable<SentRecord[]>): AsyncIterable<SweepBatch> {
  for await (const records of batches) yield { records };
}

/**
 * The profiles deleted since `since`, when the store keeps a change feed (both `deletedSince` and
 * `changedIdsSince`) that covers `since`; otherwise undefined, and the sweep walks every record.
 */
async function deletedSince(profiles: ProfileStore, since: Date): Promise<string[] | undefined> {
  if (!profiles.changedIdsSince || !profiles.deletedSince) return undefined;
  return profiles.deletedSince(since);
}

/**
 * The records a delta's sweep reads instead of walking every record, each once: those waiting for a retry, those
 * of profiles deleted since `since`, and those of profiles changed since: by profile id, and by member id for
 * each identifier value the profile holds, which finds a record whose own profile was deleted earlier, left
 * without another profile holding its email, when such a profile appears. Every other record belongs to a
 * profile unchanged since `since` that exists, or to a deleted one with no other profile holding its email:
 * the walk would leave both alone. Records without a profile id are only ever written removed (erased, or
 * removed by membership sync without a write), so they matter only while waiting for a retry.
 */
async function* recordsOfChanges(run: ExportRun, audienceId: string, since: Date, deleted: string[]): AsyncIterable<SweepBatch> {
  const { ctx, goal } = run;
  const { state, connection, profiles } = ctx;
  const seen = new Set<string>();
  const unseen = (records: Iterable<SentRecord>): SentRecord[] => [...records].filter((record) => !seen.has(record.memberId) && seen.add(record.memberId));
  for await (const records of state.sentWaitingForRetry(connection.id, goal.id, audienceId, SWEEP_BATCH)) yield { records: unseen(records) };
  for (let start = 0; start < deleted.length; start += SWEEP_BATCH) {
    yield { records: unseen(await state.sentForProfiles(connection.id, goal.id, audienceId, deleted.slice(start, start + SWEEP_BATCH))) };
  }
  for await (const ids of profiles.changedIdsSince!(since, SWEEP_BATCH)) {
    // Two independent reads, side by side (on two connections where the stores have them).
    const [current, byProfile] = await Promise.all([profiles.findById(ids), state.sentForProfiles(connection.id, goal.id, audienceId, ids)]);
    const changed = new Map(current.map((profile) => [profile.id, profile]));
    const found = new Set(byProfile.map((record) => record.memberId));
    const members = new Set([...changed.values()].flatMap((profile) => identifierKeysOf(profile.properties[goal.identifier]).map(subscriberHash)));
    const byMember = await state.getSent(connection.id, goal.id, audienceId, [...members].filter((member) => !found.has(member)));
    yield { records: unseen([...byProfile, ...byMember.values()]), changed };
  }
}

/** A record the sweep must look at, with its profile as it is now (absent: deleted) and whether it changed. */
interface LookedAt {
  record: SentRecord;
  profile?: Profile;
  changed: boolean;
  /** The profile now holding the email of a record whose own profile is gone, which takes the record over. */
  adoptedBy?: string;
}

/**
 * The records of a batch whose outcome may differ from the last sweep's, with their profiles. A record of an
 * unchanged profile is left alone unless it waits for a retry (a held or failed write, a failed withdrawal): the
 * last run already did for it all there is to do, and reading every profile on every run would cost a full read
 * of the audience's profiles per run. A record the goal withdrew or removed needs no profile (nothing applies to
 * it any more) unless it waits for a retry. `since` undefined (a first or full run): everything counts as changed.
 * `known`: profiles already read in this batch that changed since `since`, neither asked about nor read again.
 */
async function recordsToLookAt(run: ExportRun, records: SentRecord[], since: Date | undefined, known = new Map<string, Profile>()): Promise<LookedAt[]> {
  const { ctx } = run;
  const candidates = records.filter((record) => record.removed === undefined || record.retry !== undefined);
  const ids = [...new Set(candidates.flatMap((record) => (record.profileId && !known.has(record.profileId) ? [record.profileId] : [])))];
  const changes = since === undefined ? undefined : await ctx.profiles.changedSince(ids, since);
  const changed = (record: SentRecord): boolean =>
    changes === undefined || record.profileId === undefined || known.has(record.profileId) || changes.get(record.profileId) !== false;
  const looked = candidates.filter((record) => changed(record) || record.retry !== undefined);
  const profileOf = await currentProfiles(run, looked, known);
  return looked.map((record) => {
    const profile = profileOf(record);
    const adoptedBy = profile && profile.id !== record.profileId ? profile.id : undefined;
    return { record, profile, changed: changed(record), adoptedBy };
  });
}

/**
 * Each record's profile as it is now: the one the member was written for or, when that profile was deleted,
 * another profile holding the member's email (the person is still in the CDP, and their consent decides).
 */
async function currentProfiles(run: ExportRun, records: SentRecord[], known: Map<string, Profile>): Promise<(record: SentRecord) => Profile | undefined> {
  const { ctx, goal } = run;
  const ids = [...new Set(records.flatMap((record) => (record.profileId && !known.has(record.profileId) ? [record.profileId] : [])))];
  const byId = new Map(known);
  for (const profile of await ctx.profiles.findById(ids)) byId.set(profile.id, profile);
  const orphans = records.filter((record) => record.payload && !(record.profileId && byId.has(record.profileId)));
  const byEmail = new Map<string, Profile>();
  if (orphans.length > 0) {
    for (const profile of await ctx.profiles.findByIdentifier(goal.identifier, orphans.map((record) => record.payload!.email))) {
      for (const value of profile.properties[goal.identifier] ?? []) {
        if (typeof value !== 'string') continue;
        const email = normalizeEmail(value);
        // A consenting profile speaks for the email before one without consent.
        if (!byEmail.has(email) || hasConsent(profile, ctx.connection.objectives)) byEmail.set(email, profile);
      }
    }
  }
  return (record) => (record.profileId && byId.get(record.profileId)) || (record.payload && byEmail.get(record.payload.email)) || undefined;
}

/** Tags this goal wrote on the member that the profile's segments no longer give. */
function staleTags(run: ExportRun, record: SentRecord, profile: Profile): string[] {
  const written = record.payload?.tags ?? [];
  if (written.length === 0) return [];
  const verdict = qualify(profile, run.goal, run.ctx.connection.objectives);
  const current = 'email' in verdict ? buildMemberPayload(profile, { mappings: [], segmentTags: run.goal.segmentTags }, verdict.email).payload.tags : [];
  return written.filter((tag) => !current.includes(tag));
}

async function withdraw(run: ExportRun, audienceId: string, records: SentRecord[], tally: AudienceTally): Promise<void> {
  const { ctx, goal } = run;
  if (records.length === 0) return;
  const action = goal.onConsentWithdrawn ?? 'unsubscribe';
  if (ctx.options.dryRun) {
    tally.report.withdrawn += records.length;
    return;
  }
  if (action === 'keep') {
    tally.report.withdrawn += records.length;
    await recordRemovals(ctx, goal, audienceId, records.map((record) => record.memberId), 'keep');
    return;
  }
  const members = records.map((record) => ({ id: record.memberId, email: record.payload?.email ?? '', status: 'subscribed' }));
  const results = await ctx.session.members.removeMembers(audienceId, members, action);
  await retryFailures(run, audienceId, records, results, tally, 'withdrawal failed');
  tally.report.withdrawn += results.filter((result) => result.outcome !== 'failed').length;
  await recordRemovalResults(ctx, goal, audienceId, results, action);
}

/**
 * `onProfileDeleted: "deletePermanently"`: the members of deleted profiles whose email no other profile holds are
 * deleted permanently (Mailchimp forgets the email and refuses to import it again). The record keeps neither
 * payload nor profile id, only that it was erased.
 */
async function erase(run: ExportRun, audienceId: string, records: SentRecord[], tally: AudienceTally): Promise<void> {
  const { ctx, goal } = run;
  if (records.length === 0) return;
  if (ctx.options.dryRun) {
    tally.report.erased = (tally.report.erased ?? 0) + records.length;
    return;
  }
  const { members } = ctx.session;
  if (!members.deletePermanently) throw new CdpError('unsupported', `connector ${ctx.connection.connector} cannot delete members permanently`);
  const results = await members.deletePermanently(audienceId, records.map((record) => ({ id: record.memberId, email: record.payload!.email, status: 'subscribed' })));
  await retryFailures(run, audienceId, records, results, tally, 'permanent deletion failed');
  tally.report.erased = (tally.report.erased ?? 0) + results.filter((result) => result.outcome === 'updated').length;
  const now = ctx.clock.now();
  const erased = results.filter((result) => result.outcome !== 'failed').map((result): SentRecord => ({ memberId: result.memberId, hash: '', sentAt: now, removed: 'erased' }));
  if (erased.length > 0) await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, erased);
}

/** A removal Mailchimp failed is reported and waits for a retry, which brings its record to the next sweep though its profile is unchanged. */
async function retryFailures(run: ExportRun, audienceId: string, records: SentRecord[], results: MemberResult[], tally: AudienceTally, what: string): Promise<void> {
  const { ctx, goal } = run;
  const failed = new Set(results.filter((result) => result.outcome === 'failed').map((result) => result.memberId));
  for (const result of results) if (result.outcome === 'failed') tally.fail(result.email, ctx.redact(result.reason ?? what));
  const retries = records.filter((record) => failed.has(record.memberId)).map((record): SentRecord => ({ ...record, retry: 'failed' }));
  if (retries.length > 0) await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, retries);
}

async function removeStaleTags(run: ExportRun, audienceId: string, untag: { record: SentRecord; tags: string[] }[], tally: AudienceTally): Promise<void> {
  const { ctx, goal } = run;
  if (untag.length === 0) return;
  if (ctx.options.dryRun) {
    tally.report.untagged += untag.length;
    return;
  }
  const removals: TagRemoval[] = untag.map(({ record, tags }) => ({ memberId: record.memberId, email: record.payload!.email, tags }));
  // A removal Mailchimp refuses (the member was archived meanwhile) is reported once, not retried every run.
  await removeTags(ctx, audienceId, removals, tally);
  const records = untag.map(({ record, tags }): SentRecord => ({ ...record, hash: '', payload: { ...record.payload!, tags: record.payload!.tags.filter((tag) => !tags.includes(tag)) } }));
  await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, records);
}
