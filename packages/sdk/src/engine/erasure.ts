import type { SentRecord } from '../ports/state-store.js';
import { CdpError } from '../errors.js';
import { normalizeEmail } from '../identifiers.js';
import type { ExportRun } from './export-run.js';
import { throwIfLockLost } from './goal-context.js';

const ERASURE_BATCH = 500;

/**
 * For a goal with `onProfileDeleted: "deletePermanently"`: every member this goal wrote whose profile is gone
 * from the CDP, with no other profile holding its email, is deleted permanently (Mailchimp forgets the email
 * and refuses to import it again). Its record keeps neither payload nor profile id, only that it was erased, so
 * the sweep that follows leaves it alone. Runs before the sweep, which would otherwise withdraw them as
 * `onConsentWithdrawn` says. A dry run counts them and changes no record, so its sweep counts them as withdrawn
 * too: `afterSweep` takes them back out of `withdrawn`.
 */
export async function eraseDeletedProfiles(run: ExportRun): Promise<{ afterSweep(): void }> {
  const { ctx, goal } = run;
  const counted = run.tallies.map(() => 0);
  const afterSweep = (): void => {
    if (ctx.options.dryRun) run.tallies.forEach((tally, index) => (tally.report.withdrawn -= counted[index]));
  };
  if (goal.onProfileDeleted !== 'deletePermanently') return { afterSweep };
  const members = ctx.session.members;
  if (!members.deletePermanently) throw new CdpError('unsupported', `connector ${ctx.connection.connector} cannot delete members permanently`);
  for (const [index, audienceId] of goal.audiences.entries()) {
    const tally = run.tallies[index];
    for await (const records of ctx.state.streamSent(ctx.connection.id, goal.id, audienceId, ERASURE_BATCH)) {
      throwIfLockLost(ctx);
      const erased = await erasedOf(run, records);
      if (erased.length === 0) continue;
      if (ctx.options.dryRun) {
        tally.report.erased = (tally.report.erased ?? 0) + erased.length;
        counted[index] += erased.length;
        continue;
      }
      const results = await members.deletePermanently(audienceId, erased.map((record) => ({ id: record.memberId, email: record.payload!.email, status: 'subscribed' })));
      const now = ctx.clock.now();
      const done: SentRecord[] = [];
      for (const result of results) {
        // A failure keeps the record as it was: the next run tries again.
        if (result.outcome === 'failed') tally.fail(result.email, ctx.redact(result.reason ?? 'permanent deletion failed'));
        else {
          if (result.outcome === 'updated') tally.report.erased = (tally.report.erased ?? 0) + 1;
          done.push({ memberId: result.memberId, hash: '', sentAt: now, removed: 'erased' });
        }
      }
      if (done.length > 0) await ctx.state.putSent(ctx.connection.id, goal.id, audienceId, done);
    }
  }
  return { afterSweep };
}

/** The records of members this goal wrote whose profile was deleted, and whose email no other profile holds. */
async function erasedOf(run: ExportRun, records: SentRecord[]): Promise<SentRecord[]> {
  const { ctx, goal } = run;
  const written = records.filter((record) => record.inAudience === true && record.removed === undefined && record.payload && record.profileId);
  if (written.length === 0) return [];
  const present = new Set((await ctx.profiles.findById(written.map((record) => record.profileId!))).map((profile) => profile.id));
  const gone = written.filter((record) => !present.has(record.profileId!));
  if (gone.length === 0) return [];
  // The person is still in the CDP under another profile: their consent decides, as for any withdrawal.
  const held = new Set<string>();
  for (const profile of await ctx.profiles.findByIdentifier(goal.identifier, gone.map((record) => record.payload!.email))) {
    for (const value of profile.properties[goal.identifier] ?? []) if (typeof value === 'string') held.add(normalizeEmail(value));
  }
  return gone.filter((record) => !held.has(record.payload!.email));
}
