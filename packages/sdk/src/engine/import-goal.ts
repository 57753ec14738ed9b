import { hash } from 'node:crypto';
import type { ImportGoal } from '../config/generated-types.js';
import type { SourceMember } from '../connector.js';
import { hasConsent } from '../consent.js';
import { CdpError } from '../errors.js';
import { identifierKey, isValidEmail, normalizeEmail, subscriberHash } from '../identifiers.js';
import { applyOps, buildImportOps, readMemberPath } from '../mapping/import-mapping.js';
import type { ProfilePatch, PropertyOp } from '../ports/profile-store.js';
import type { Profile } from '../profile.js';
import { AudienceTally } from './audience-tally.js';
import { throwIfLockLost, type GoalContext, type GoalOutcome } from './goal-context.js';
import { audienceImport, permissionGrants } from './import-audience-fields.js';

/**
 * `since_last_changed` is re-read from a little before the watermark: a member version applied twice
 * changes nothing (the version guard), while a member missed at the boundary would be lost.
 */
export const IMPORT_OVERLAP_MS = 60_000;

/** Resume point: audiences already imported by an interrupted run, and when that run started. */
interface ImportCheckpoint {
  startedAt: string;
  completed: string[];
}

type Audience = ImportGoal['audiences'][number];

/** Runs an import goal: members of each audience update (or create) the profiles they match. */
export async function runImportGoal(ctx: GoalContext, goal: ImportGoal): Promise<GoalOutcome> {
  const tallies = new Map(goal.audiences.map((audience) => [audience.id, new AudienceTally(audience.id)]));
  const reports = () => [...tallies.values()].map((tally) => tally.report);
  try {
    await importInto(ctx, goal, tallies);
    return { audiences: reports() };
  } catch (error) {
    return { audiences: reports(), error };
  }
}

async function importInto(ctx: GoalContext, goal: ImportGoal, tallies: Map<string, AudienceTally>): Promise<void> {
  const { connection, state, options } = ctx;
  const checkpoint = options.dryRun ? undefined : await state.getCheckpoint<ImportCheckpoint>(connection.id, goal.id);
  // A resumed run keeps the interrupted run's start, so the watermark never skips what changed meanwhile.
  const startedAt = checkpoint ? new Date(checkpoint.startedAt) : ctx.clock.now();
  const completed = new Set(checkpoint?.completed ?? []);
  const watermark = options.full ? undefined : await state.getWatermark(connection.id, goal.id);
  const changedSince = watermark && new Date(watermark.getTime() - IMPORT_OVERLAP_MS);
  const names = new Map(ctx.audiences.map((a) => [a.id, a.name]));

  for (const audience of goal.audiences) {
    if (completed.has(audience.id)) continue;
    const audienceName = names.get(audience.id);
    if (audienceName === undefined) throw new CdpError('unknown_audience', `audience ${audience.id} does not exist or is not visible to this API key`);
    const query = { statuses: goal.statuses ?? ['subscribed'], tags: goal.tags, changedSince, pageSize: goal.pageSize };
    let done = 0;
    // Without a watermark the import reads the whole audience: its member count is the progress total.
    const total = changedSince === undefined ? ctx.audiences.find((a) => a.id === audience.id)?.memberCount : undefined;
    options.onProgress?.({ goalId: goal.id, audienceId: audience.id, phase: 'read', done, total });
    const reading = await audienceImport(ctx, goal, audience.id);
    for await (const members of ctx.session.members.readMembers(audience.id, query)) {
      throwIfLockLost(ctx);
      await importPage(ctx, reading.goal, audience, audienceName, reading.decorate(members), tallies.get(audience.id)!);
      done += members.length;
      options.onProgress?.({ goalId: goal.id, audienceId: audience.id, phase: 'read', done, total });
    }
    completed.add(audience.id);
    if (!options.dryRun) await state.putCheckpoint(connection.id, goal.id, { startedAt: startedAt.toISOString(), completed: [...completed] });
  }
  throwIfLockLost(ctx);
  if (!options.dryRun) {
    await state.setWatermark(connection.id, goal.id, startedAt);
    await state.clearCheckpoint(connection.id, goal.id);
  }
}

async function importPage(
  ctx: GoalContext,
  goal: ImportGoal,
  audience: Audience,
  audienceName: string,
  members: SourceMember[],
  tally: AudienceTally,
): Promise<void> {
  const withEmail: { member: SourceMember; email: string }[] = [];
  for (const member of members) {
    tally.report.selected++;
    if (!member.email?.trim()) tally.skip('noIdentifier');
    else if (!isValidEmail(normalizeEmail(member.email))) tally.skip('invalidIdentifier');
    else withEmail.push({ member, email: normalizeEmail(member.email) });
  }
  const profiles = await profilesByEmail(ctx, goal, withEmail);
  // A profile this import created earlier keeps its id even when its email changed in the CDP since.
  const createdId = (member: SourceMember): string => `${ctx.connection.connector}-${member.id}`;
  const unmatched = withEmail.filter(({ email }) => !profiles.has(email)).map(({ member }) => createdId(member));
  const created = new Map((unmatched.length > 0 ? await ctx.profiles.findById(unmatched) : []).map((p) => [p.id, p]));

  const patches: ProfilePatch[] = [];
  for (const { member, email } of withEmail) {
    const profile = profiles.get(email) ?? created.get(createdId(member));
    const versionKey = `${goal.id}:${audience.id}:${member.id}`;
    const version = { key: versionKey, value: importedContent(goal, member, audienceName) };
    if (profile && !hasConsent(profile, ctx.connection.objectives)) {
      tally.skip('noConsent');
      continue;
    }
    // Only what the mappings read counts: an edit nobody maps, or this connection's own export writing a
    // field back unchanged, is not a change.
    if (profile?.sourceVersions?.[version.key] === version.value) {
      tally.report.unchanged++;
      continue;
    }
    if (!profile && !audience.createProfiles) {
      tally.skip('notFound');
      continue;
    }
    // A new profile carries only the consent the goal says the member's status grants, never invented.
    const granted = profile ? [] : grantedObjectives(goal, member, ctx.connection.objectives);
    if (!profile && granted.length === 0) {
      tally.skip('noConsent');
      continue;
    }
    const ops = memberOps(goal, member, audienceName, versionKey, tally);
    if (ctx.options.dryRun) {
      tallyDryRun(tally, profile, ops);
      continue;
    }
    patches.push(
      profile
        ? { profileId: profile.id, ops, version }
        : {
            profileId: createdId(member),
            createWith: { properties: { [goal.identifier]: [identifierValues(goal, email)[0]] }, consent: { objectives: granted } },
            ops,
            version,
          },
    );
  }
  if (patches.length === 0) return;
  const results = await ctx.profiles.applyPatches(patches);
  const imported: string[] = [];
  for (const result of results) {
    if (result.outcome === 'created') tally.report.created++;
    else if (result.outcome === 'updated') tally.report.updated++;
    else if (result.outcome === 'unchanged') tally.report.unchanged++;
    else tally.skip('notFound');
    if (result.outcome === 'created' || result.outcome === 'updated') imported.push(result.profileId);
  }
  if (imported.length > 0) await ctx.state.addExchanged(ctx.connection.id, 'imported', imported);
}

/**
 * The page's profiles by normalised email, in one store round trip (the store matches identifier keys): the
 * identifier holds the email, its MD5 hash, or either, as the goal says.
 */
async function profilesByEmail(ctx: GoalContext, goal: ImportGoal, members: { member: SourceMember; email: string }[]): Promise<Map<string, Profile>> {
  if (members.length === 0) return new Map();
  const emails = [...new Set(members.map(({ email }) => email))];
  const found = await ctx.profiles.findByIdentifier(goal.identifier, emails.flatMap((email) => identifierValues(goal, email)));
  const byKey = new Map<string, Profile>();
  for (const profile of found) {
    for (const value of profile.properties[goal.identifier] ?? []) {
      if (typeof value === 'string' && !byKey.has(identifierKey(value))) byKey.set(identifierKey(value), profile);
    }
  }
  const byEmail = new Map<string, Profile>();
  for (const email of emails) {
    const profile = identifierValues(goal, email).map((value) => byKey.get(value)).find((match) => match !== undefined);
    if (profile) byEmail.set(email, profile);
  }
  return byEmail;
}

/** The identifier values that stand for a (normalised) email, in order of preference. */
function identifierValues(goal: ImportGoal, email: string): string[] {
  switch (goal.identifierFormat ?? 'email') {
    case 'email':
      return [email];
    case 'md5':
      return [subscriberHash(email)];
    case 'emailOrMd5':
      return [email, subscriberHash(email)];
  }
}

/**
 * A fingerprint of what the import takes from a member: the values its mappings read (and the audience name
 * when it is saved). It is the member's version for the exactly-once guard, so a member counts as changed
 * only when something the import would write changed.
 */
function importedContent(goal: ImportGoal, member: SourceMember, audienceName: string): string {
  const read = goal.mappings.map((mapping) => readMemberPath(member.fields, mapping.from) ?? null);
  if (goal.saveAudiencesTo) read.push(audienceName);
  return hash('sha1', JSON.stringify(read), 'hex');
}

/**
 * The connection's objectives the member's status grants, as the goal's `grantedObjectives` says, and those its
 * enabled marketing permissions grant, as the goal's `marketingPermissions` says.
 */
function grantedObjectives(goal: ImportGoal, member: SourceMember, objectives: string[]): string[] {
  const status = member.fields.status;
  const granted = typeof status === 'string' && goal.grantedObjectives && Object.hasOwn(goal.grantedObjectives, status)
    ? goal.grantedObjectives[status as keyof typeof goal.grantedObjectives] ?? []
    : [];
  // Marketing permissions the member enabled grant their objectives too (opt-in only).
  return [...new Set([...granted, ...permissionGrants(goal, member)])].filter((objective) => objectives.includes(objective));
}

/** What a run would do with one member's ops, counted without writing. */
function tallyDryRun(tally: AudienceTally, profile: Profile | undefined, ops: PropertyOp[]): void {
  if (!profile) {
    tally.report.created++;
    return;
  }
  const after = applyOps(profile, ops).properties;
  const changes = ops.some(({ property }) => JSON.stringify(after[property]) !== JSON.stringify(profile.properties[property]));
  if (changes) tally.report.updated++;
  else tally.report.unchanged++;
}

function memberOps(goal: ImportGoal, member: SourceMember, audienceName: string, versionKey: string, tally: AudienceTally): PropertyOp[] {
  const { ops, rejected } = buildImportOps(goal.mappings, member.fields);
  // A sum adds the change since the value last imported from this member, kept per member and property.
  for (const op of ops) if (op.mode === 'sum') op.baseline = `${versionKey}|${op.property}`;
  for (const { to, reason } of rejected) {
    tally.skip('invalidValue', { record: member.email!, reason: `${to}: ${reason}` });
  }
  if (goal.saveAudiencesTo) ops.push({ property: goal.saveAudiencesTo, mode: 'add', values: [audienceName] });
  return ops;
}
