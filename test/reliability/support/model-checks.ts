import type { DumpedMember } from '@cdp/mailchimp-sandbox';
import type { Profile, RunReport } from '@cdp/sdk';
import { REMOVABLE, type ConnectionModel, type ModelMember, type ModelProfile } from './model.js';
import { EXPORT_GOAL, IMPORT_GOAL } from './system-under-test.js';

/** What a check found wrong, one line each; empty when it holds. */
export type Problems = string[];

/** What a sequence has seen so far, for the properties that span steps. */
export class History {
  /** Emails seen unsubscribed or cleaned: never subscribed again by anyone. */
  readonly optedOut = new Set<string>();
  /** Tags a marketer put on members: nobody takes them off. */
  readonly marketerTags: { email: string; tag: string }[] = [];
  /** Members a marketer archived: the connection never brings them back. */
  readonly marketerArchived = new Set<string>();

  observe(members: DumpedMember[]): void {
    for (const member of members) if (member.status === 'unsubscribed' || member.status === 'cleaned') this.optedOut.add(member.email_address);
  }
}

const byEmail = (members: DumpedMember[]) => new Map(members.map((member) => [member.email_address, member]));

/** Mailchimp and the profiles hold exactly what the model predicts. */
export function compareWithModel(model: ConnectionModel, members: DumpedMember[], profiles: Profile[]): Problems {
  return [...compareMembers(model.members, byEmail(members)), ...compareProfiles(model.profiles, new Map(profiles.map((p) => [p.id, p])))];
}

function compareMembers(expected: Map<string, ModelMember>, actual: Map<string, DumpedMember>): Problems {
  const problems: Problems = [];
  for (const email of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(email);
    const got = actual.get(email);
    if (!want || !got) {
      problems.push(`member ${email}: ${got ? `is ${got.status}, the model has no such member` : `missing, the model expects ${want!.status}`}`);
      continue;
    }
    if (got.status !== want.status) problems.push(`member ${email}: status ${got.status}, the model expects ${want.status}`);
    // An archived member is outside the audience: what it holds is nobody's to keep in sync.
    if (want.status === 'archived') continue;
    const fname = mergeValue(got.merge_fields.FNAME);
    if (fname !== want.fname) problems.push(`member ${email}: FNAME ${show(fname)}, the model expects ${show(want.fname)}`);
    const points = mergeValue(got.merge_fields.POINTS);
    if (points !== want.points) problems.push(`member ${email}: POINTS ${show(points)}, the model expects ${show(want.points)}`);
    const tags = [...got.tags].sort().join(', ');
    if (tags !== [...want.tags].sort().join(', ')) problems.push(`member ${email}: tags [${tags}], the model expects [${[...want.tags].sort().join(', ')}]`);
  }
  return problems;
}

function compareProfiles(expected: Map<string, ModelProfile>, actual: Map<string, Profile>): Problems {
  const problems: Problems = [];
  for (const id of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(id);
    const got = actual.get(id);
    if (!want || !got) {
      problems.push(`profile ${id}: ${got ? 'exists, the model deleted it' : 'missing'}`);
      continue;
    }
    const score = firstNumber(got.properties.score);
    if (score !== want.score) problems.push(`profile ${id}: score ${score}, the model expects ${want.score}`);
    const cdp = { firstName: got.properties.firstName?.[0], newsletter: got.segments.includes('newsletter'), vip: got.segments.includes('vip'), consent: got.consent.objectives.includes('newsletter') };
    const wanted = { firstName: want.firstName, newsletter: want.newsletter, vip: want.vip, consent: want.consent };
    if (JSON.stringify(cdp) !== JSON.stringify(wanted)) problems.push(`profile ${id}: ${JSON.stringify(cdp)}, the CDP set ${JSON.stringify(wanted)}`);
  }
  return problems;
}

/** A member once unsubscribed or cleaned is never subscribed again. */
export function neverResubscribed(history: History, members: DumpedMember[]): Problems {
  return members
    .filter((member) => member.status === 'subscribed' && history.optedOut.has(member.email_address))
    .map((member) => `member ${member.email_address}: subscribed again after it unsubscribed or was cleaned`);
}

/**
 * Tags a marketer added are never removed; members a marketer archived are never brought back to receive mail
 * (withdrawn consent may still unsubscribe them).
 */
export function marketerChangesKept(history: History, members: DumpedMember[]): Problems {
  const current = byEmail(members);
  return [
    ...history.marketerTags
      .filter(({ email, tag }) => !current.get(email)?.tags.includes(tag))
      .map(({ email, tag }) => `member ${email}: lost the tag ${tag} a marketer added`),
    ...[...history.marketerArchived]
      .filter((email) => current.get(email)!.status === 'subscribed')
      .map((email) => `member ${email}: archived by a marketer, now subscribed again`),
  ];
}

/** A run creates, or subscribes, members only for profiles of the segment that consented. */
export function consentRespected(model: ConnectionModel, before: DumpedMember[], after: DumpedMember[]): Problems {
  const previous = byEmail(before);
  const allowed = new Set(model.qualifying().map((profile) => profile.email));
  return after
    .filter((member) => !allowed.has(member.email_address))
    .filter((member) => !previous.has(member.email_address) || (member.status === 'subscribed' && previous.get(member.email_address)!.status !== 'subscribed'))
    .map((member) => `member ${member.email_address}: ${previous.has(member.email_address) ? 'subscribed' : 'created'} by the run for a profile without consent or outside the segment`);
}

export interface BrakeCase {
  maxRemovalShare?: number;
  force: boolean;
  /** Whether the segment had any profile when the run started. */
  segmentEmpty: boolean;
  /** Members the model says the run withdrew (their archive is not membership sync). */
  withdrawn: string[];
  report: RunReport;
}

/**
 * Membership sync archives at most its share of the members it could remove (counted before the run's writes),
 * unless forced; never anyone from an empty segment; and no one when the report says the brake held.
 */
export function brakeRespected(c: BrakeCase, before: DumpedMember[], after: DumpedMember[]): Problems {
  const previous = byEmail(before);
  const removable = before.filter((member) => REMOVABLE.includes(member.status)).length;
  const archived = after
    .filter((member) => member.status === 'archived' && previous.get(member.email_address)?.status !== 'archived')
    .filter((member) => !c.withdrawn.includes(member.email_address)).length;
  const brake = exportReport(c.report)?.audiences[0]?.brake;
  const problems: Problems = [];
  if (c.maxRemovalShare === undefined && archived > 0) problems.push(`membership sync is off, yet ${archived} members were archived`);
  if (c.segmentEmpty && archived > 0) problems.push(`the segment was empty, yet ${archived} members were archived`);
  if (c.maxRemovalShare !== undefined && !c.force && archived > c.maxRemovalShare * removable) {
    problems.push(`${archived} of ${removable} removable members archived, more than the brake's ${c.maxRemovalShare}`);
  }
  if (brake && archived > 0) problems.push(`the report says the brake held, yet ${archived} members were archived`);
  return problems;
}

/** The report says what the model predicts: the brake, which goals failed, and no failed member (nothing is refused). */
export function reportAsPredicted(report: RunReport, braked: boolean): Problems {
  const exported = exportReport(report);
  const imported = report.goals.find((goal) => goal.goalId === IMPORT_GOAL);
  const problems: Problems = [];
  for (const audience of report.goals.flatMap((goal) => goal.audiences).filter((a) => a.failed > 0)) {
    problems.push(`report: ${audience.failed} failed in ${audience.audienceId}: ${audience.failures.map((f) => `${f.record}: ${f.reason}`).join('; ')}`);
  }
  if (Boolean(exported?.audiences[0]?.brake) !== braked) problems.push(`report: brake ${JSON.stringify(exported?.audiences[0]?.brake)}, the model expects ${braked ? 'one' : 'none'}`);
  if (!report.dryRun && (exported?.status === 'failed') !== braked) problems.push(`report: export goal ${exported?.status} (${exported?.error ?? 'no error'})`);
  if (imported?.status !== 'succeeded') problems.push(`report: import goal ${imported?.status} (${imported?.error ?? 'no error'})`);
  return problems;
}

/** A dry run leaves Mailchimp, the profiles and the connection's state exactly as they were. */
export function unchanged(what: string, before: unknown, after: unknown): Problems {
  const difference = firstDifference(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(after)), what);
  return difference ? [`${difference.path} changed: ${JSON.stringify(difference.before)} → ${JSON.stringify(difference.after)}`] : [];
}

/** Where two JSON values first differ, so a failure names the field rather than printing whole stores. */
function firstDifference(before: unknown, after: unknown, path: string): { path: string; before: unknown; after: unknown } | undefined {
  if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
  if (typeof before !== 'object' || typeof after !== 'object' || before === null || after === null) return { path, before, after };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const found = firstDifference((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return { path, before, after };
}

function exportReport(report: RunReport) {
  return report.goals.find((goal) => goal.goalId === EXPORT_GOAL);
}

/** Mailchimp answers an unset merge field as empty. */
function mergeValue(value: unknown): string | number | undefined {
  return value === undefined || value === '' ? undefined : (value as string | number);
}

/** A profile property read as the engine's `sum` reads it: its first number, 0 when it has none. */
function firstNumber(values: unknown[] | undefined): number {
  return values?.map(Number).find((value) => Number.isFinite(value)) ?? 0;
}

function show(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}
